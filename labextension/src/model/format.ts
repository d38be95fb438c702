/**
 * Text for the trace views: durations, places in the source, GUIDs, fractions and counts.
 *
 * Pure functions, no DOM. Durations arrive in nanoseconds; an instance name carries its
 * place in the source the Phylanx way (`dot$12$15`: primitive `dot` at line 12, column
 * 15; `dot$12$15#chunk` is a chunk of it). GUIDs are 64-bit and may exceed 2^53, so they
 * are handled as text and never computed with.
 */

/** Units a duration is shown in, smallest first, with their size in ns. */
const DURATION_UNITS: ReadonlyArray<{ unit: string; ns: number }> = [
  { unit: 'ns', ns: 1 },
  { unit: 'µs', ns: 1e3 },
  { unit: 'ms', ns: 1e6 },
  { unit: 's', ns: 1e9 }
];

/** What a number that is not a number (NaN, null, undefined) is shown as. */
export const MISSING_TEXT = '—';

/**
 * A duration in ns as short text with three significant digits:
 * `850 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`; seconds past 1,000 are shown whole
 * (`12,346 s`). Negative durations keep their sign (`-12.3 µs`, a difference);
 * NaN, null and undefined give `—`, infinities `∞` / `-∞`. Whole nanoseconds below
 * 1,000 are shown exactly (`0 ns`, `999 ns`); a value that rounds up to the next unit
 * moves there (`999.7 ns` → `1.00 µs`).
 */
export function formatNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || Number.isNaN(ns)) {
    return MISSING_TEXT;
  }
  if (!Number.isFinite(ns)) {
    return ns > 0 ? '∞' : '-∞';
  }
  const sign = ns < 0 ? '-' : '';
  const size = Math.abs(ns);
  if (size === 0) {
    return '0 ns';
  }
  for (let i = 0; i < DURATION_UNITS.length; i++) {
    const { unit, ns: scale } = DURATION_UNITS[i];
    const value = size / scale;
    const isLast = i === DURATION_UNITS.length - 1;
    if (unit === 'ns' && value < 999.5) {
      // Whole ns exactly; fractions of a ns (from averages) with up to 3 digits.
      const text = Number.isInteger(value) ? String(value) : trimZeros(value.toPrecision(3));
      return `${sign}${text} ns`;
    }
    const text = value.toPrecision(3);
    if (Number(text) < 1000) {
      return `${sign}${text} ${unit}`;
    }
    if (isLast) {
      return `${sign}${formatCount(Math.round(value))} ${unit}`;
    }
  }
  /* istanbul ignore next: the loop always returns in its last unit */
  return MISSING_TEXT;
}

function trimZeros(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * A whole count with thousands separators: `1234567` → `1,234,567`; non-integers are
 * rounded; NaN/null give `—`. Independent of the browser's locale so tests and
 * screenshots are stable.
 */
export function formatCount(count: number | null | undefined): string {
  if (count === null || count === undefined || Number.isNaN(count)) {
    return MISSING_TEXT;
  }
  if (!Number.isFinite(count)) {
    return count > 0 ? '∞' : '-∞';
  }
  const whole = Math.round(count);
  const digits = String(Math.abs(whole));
  if (digits.includes('e')) {
    return String(whole); // past 1e21: exponent form is the honest text
  }
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return whole < 0 ? `-${grouped}` : grouped;
}

/** `count` and the noun, plural unless the count is one: "1 worker", "16 workers". */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : nouns}`;
}

/**
 * A fraction (0..1, e.g. a bin's busy fraction) as a percentage with `digits` decimals:
 * `0.4567` → `45.7 %`. NaN/null give `—`.
 */
export function formatFraction(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) {
    return MISSING_TEXT;
  }
  if (!Number.isFinite(fraction)) {
    return fraction > 0 ? '∞' : '-∞';
  }
  return `${(fraction * 100).toFixed(digits)} %`;
}

/** An instance name taken apart: `dot$12$15#chunk` → dot, 12, 15, chunk. */
export interface InstancePlace {
  /** The primitive's name (`dot`). */
  name: string;
  /** Line in the compiled source, 1-based; null when the name carries no place. */
  line: number | null;
  /** Column in that line; null when the name carries no place. */
  col: number | null;
  /** The suffix after `#` (`chunk`), or null. */
  suffix: string | null;
}

const PLACE_TAG = /^(.*?)\$(\d+)\$(\d+)$/;

/**
 * Parse an instance name `name$line$col[#suffix]` (the Phylanx tag). A name without a
 * valid tag keeps `line`/`col` null (`name` is then the part before the first `$`).
 * Mirrors the server's `location_of` and `display_name`.
 */
export function parseInstance(instance: string): InstancePlace {
  const hash = instance.indexOf('#');
  const base = hash >= 0 ? instance.slice(0, hash) : instance;
  const suffix = hash >= 0 ? instance.slice(hash + 1) : null;
  const match = PLACE_TAG.exec(base);
  const dollar = base.indexOf('$');
  const name = (dollar >= 0 ? base.slice(0, dollar) : base) || base;
  if (match === null) {
    return { name, line: null, col: null, suffix };
  }
  return { name, line: Number(match[2]), col: Number(match[3]), suffix };
}

/**
 * The primitive behind an instance name, as the server's `display_name` gives it:
 * `dot$12$15` → `dot`, `dot$12$15#chunk` → `dot#chunk`, `dot` → `dot`.
 */
export function displayName(instance: string): string {
  const { name, suffix } = parseInstance(instance);
  return suffix === null ? name : `${name}#${suffix}`;
}

/**
 * The instance without its `#suffix` (a chunk's own primitive instance, the one the
 * execution tree and the source know): `dot$12$15#chunk` → `dot$12$15`.
 */
export function baseInstance(instance: string): string {
  const hash = instance.indexOf('#');
  return hash >= 0 ? instance.slice(0, hash) : instance;
}

/**
 * An instance name for people: `dot$12$15` → `dot at 12:15`,
 * `dot$12$15#chunk` → `dot#chunk at 12:15`; a name without a place is returned as is.
 */
export function formatPlace(instance: string): string {
  const { line, col } = parseInstance(instance);
  const name = displayName(instance);
  return line === null ? name : `${name} at ${line}:${col}`;
}

/** A task GUID as the server sends it: a JSON number (exact only below 2^53) or text. */
export type Guid = string | number;

/**
 * A GUID as canonical decimal text, for display and as a Map key: numbers print
 * without exponent or fraction, text is trimmed and loses leading zeros
 * (`'007'` → `'7'`). No arithmetic is done, so a 64-bit GUID sent as text stays exact.
 * A number past 2^53 has already lost digits in JSON.parse; it is printed as parsed
 * (see `isExactGuid`), in exponent form from 1e21 on. Anything that is not a whole
 * number is returned as trimmed text.
 */
export function formatGuid(guid: Guid): string {
  if (typeof guid === 'number') {
    if (!Number.isFinite(guid) || !Number.isInteger(guid)) {
      return String(guid);
    }
    // toFixed prints a double below 1e21 exactly, digit for digit, without an exponent.
    return Math.abs(guid) < 1e21 ? guid.toFixed(0) : String(guid);
  }
  const text = guid.trim();
  if (/^\d+$/.test(text)) {
    return text.replace(/^0+(?=\d)/, '');
  }
  return text;
}

/** Whether two GUIDs are the same (compared as canonical text, never as numbers). */
export function sameGuid(a: Guid, b: Guid): boolean {
  return formatGuid(a) === formatGuid(b);
}

/**
 * Whether `guid` is known exactly: text always is, a number only when it is a safe
 * integer (below 2^53); a larger number was rounded by JSON.parse.
 */
export function isExactGuid(guid: Guid): boolean {
  return typeof guid === 'string' || Number.isSafeInteger(guid);
}
