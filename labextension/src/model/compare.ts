/**
 * Comparing two traces' profiles (e.g. `optimize=False` against the default): per
 * primitive the two sides, their difference and ratio, sorted by how much changed.
 *
 * Input is two `/traces/{id}/profile` answers (or their `rows`), the server's `/compare`
 * answer (`comparisonFromAnswer`), or rows that already pair the sides
 * (`comparisonFromRows`). Primitives
 * are matched by display name (`dot`: all instances summed; the default, since rewrites
 * move and merge instances) or by instance name. A primitive present on one side only
 * is kept, with the other side `null`: its difference is the whole value and its ratio
 * `Infinity` (new in B) or 0 (gone from A); 0 against 0 has ratio 1. Pure functions.
 */

import { MISSING_TEXT, displayName } from './format';

/** One row of a `/profile` answer (times in ns). */
export interface ProfileRow {
  /** Instance name, e.g. `dot$12$15` or `dot$12$15#chunk`. */
  instance: string;
  /** Display name, e.g. `dot`. */
  display_name: string;
  /** How many times it ran. */
  count: number;
  /** Total time of its tasks, children included. */
  inclusive_ns: number;
  /** Total time of its tasks minus their direct children on the same worker. */
  exclusive_ns: number;
  /** How many of its evaluations ran inline (optional). */
  eval_direct?: number;
}

/** The `/traces/{id}/profile` answer. */
export interface ProfileAnswer {
  /** Where the profile came from (`profile.json` or `columns`). */
  origin?: string;
  /** One row per instance that ran. */
  rows: ProfileRow[];
}

/** The measurements compared. */
export type CompareMetric = 'count' | 'inclusive_ns' | 'exclusive_ns';

/** All compared metrics, in display order. */
export const COMPARE_METRICS: ReadonlyArray<CompareMetric> = ['count', 'inclusive_ns', 'exclusive_ns'];

/** One side's (or a difference's, or a ratio's) value per metric. */
export interface ProfileStats {
  /** Task count. */
  count: number;
  /** Inclusive ns. */
  inclusive_ns: number;
  /** Exclusive ns. */
  exclusive_ns: number;
}

/** How rows of the two profiles are matched. */
export type CompareKey = 'display_name' | 'instance';

/** Which sides a compared primitive ran on. */
export type Presence = 'both' | 'onlyA' | 'onlyB';

/** One compared primitive. */
export interface ComparisonRow {
  /** What the sides were matched by: the display name or the instance name. */
  key: string;
  /** The display name (for a row keyed by instance, that instance's). */
  display_name: string;
  /** The instance names summed into this row, from both sides, sorted. */
  instances: string[];
  /** Side A's values; null when the primitive did not run in A. */
  a: ProfileStats | null;
  /** Side B's values; null when the primitive did not run in B. */
  b: ProfileStats | null;
  /** Which sides it ran on. */
  presence: Presence;
  /** b - a per metric (a missing side counts as 0). */
  difference: ProfileStats;
  /** b / a per metric (see `ratioOf`: Infinity when only B has time, 0 when only A, 1 for 0/0). */
  ratio: ProfileStats;
}

/** Sums over all rows of one comparison. */
export interface ComparisonTotals {
  /** Side A summed (inclusive times of nested primitives overlap; exclusive ones add up to busy time). */
  a: ProfileStats;
  /** Side B summed. */
  b: ProfileStats;
  /** b - a. */
  difference: ProfileStats;
  /** b / a (see `ratioOf`). */
  ratio: ProfileStats;
}

/** A profile comparison. */
export interface ProfileComparison {
  /** How rows were matched. */
  key: CompareKey;
  /** The rows, sorted by the absolute difference of the sort metric, largest first. */
  rows: ComparisonRow[];
  /** Sums over all rows. */
  totals: ComparisonTotals;
  /** Rows that ran in A only. */
  onlyA: number;
  /** Rows that ran in B only. */
  onlyB: number;
}

/** Options of `compareProfiles`. */
export interface CompareOptions {
  /** Match by display name (default) or instance name. */
  key?: CompareKey;
  /** Metric the rows are sorted by (default `exclusive_ns`). */
  sortBy?: CompareMetric;
}

/** A side of a paired row as `comparisonFromRows` takes it: missing metrics count as 0. */
export type PartialStats = Partial<ProfileStats> | null | undefined;

/** A row that already pairs the two sides (a server-side `/compare` answer's row). */
export interface PairedRow {
  /** The display name. */
  display_name: string;
  /** The matched name (default: `display_name`). */
  key?: string;
  /** The instance names the row covers. */
  instances?: string[];
  /** Side A (null/missing: did not run in A). */
  a?: PartialStats;
  /** Side B (null/missing: did not run in B). */
  b?: PartialStats;
}

/**
 * b / a without NaN: 0/0 is 1 (no change), x/0 with x > 0 is Infinity (new), 0/x is 0
 * (gone); signs are kept for negative inputs; a NaN input gives NaN.
 */
export function ratioOf(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) {
    return Number.NaN;
  }
  if (a === 0) {
    return b === 0 ? 1 : b > 0 ? Infinity : -Infinity;
  }
  return b / a;
}

function zeroStats(): ProfileStats {
  return { count: 0, inclusive_ns: 0, exclusive_ns: 0 };
}

function finite(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function addInto(target: ProfileStats, source: PartialStats): void {
  if (source === null || source === undefined) {
    return;
  }
  for (const metric of COMPARE_METRICS) {
    target[metric] += finite(source[metric]);
  }
}

function combine(
  a: ProfileStats,
  b: ProfileStats,
  operation: (x: number, y: number) => number
): ProfileStats {
  return {
    count: operation(a.count, b.count),
    inclusive_ns: operation(a.inclusive_ns, b.inclusive_ns),
    exclusive_ns: operation(a.exclusive_ns, b.exclusive_ns)
  };
}

function rowsOf(profile: ProfileAnswer | ReadonlyArray<ProfileRow> | null | undefined): ReadonlyArray<ProfileRow> {
  if (profile === null || profile === undefined) {
    return [];
  }
  return Array.isArray(profile) ? profile : (profile as ProfileAnswer).rows ?? [];
}

function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A comparison row from its two (possibly missing) sides. */
function makeRow(
  key: string,
  display: string,
  instances: Iterable<string>,
  a: ProfileStats | null,
  b: ProfileStats | null
): ComparisonRow {
  const left = a ?? zeroStats();
  const right = b ?? zeroStats();
  return {
    key,
    display_name: display,
    instances: [...new Set(instances)].sort(compareText),
    a,
    b,
    presence: a !== null && b !== null ? 'both' : a !== null ? 'onlyA' : 'onlyB',
    difference: combine(left, right, (x, y) => y - x),
    ratio: combine(left, right, ratioOf)
  };
}

/**
 * Rows sorted by |difference| of `metric`, largest first; ties by |difference| of the
 * other metrics (exclusive, inclusive, count), then by key. Returns a new array.
 */
export function sortByDifference(
  rows: ReadonlyArray<ComparisonRow>,
  metric: CompareMetric = 'exclusive_ns'
): ComparisonRow[] {
  const order: CompareMetric[] = [metric, 'exclusive_ns', 'inclusive_ns', 'count'];
  return rows.slice().sort((x, y) => {
    for (const m of order) {
      const delta = Math.abs(y.difference[m]) - Math.abs(x.difference[m]);
      if (delta !== 0 && !Number.isNaN(delta)) {
        return delta;
      }
    }
    return compareText(x.key, y.key);
  });
}

function finish(key: CompareKey, rows: ComparisonRow[], sortBy: CompareMetric): ProfileComparison {
  const a = zeroStats();
  const b = zeroStats();
  for (const row of rows) {
    addInto(a, row.a);
    addInto(b, row.b);
  }
  return {
    key,
    rows: sortByDifference(rows, sortBy),
    totals: {
      a,
      b,
      difference: combine(a, b, (x, y) => y - x),
      ratio: combine(a, b, ratioOf)
    },
    onlyA: rows.filter(row => row.presence === 'onlyA').length,
    onlyB: rows.filter(row => row.presence === 'onlyB').length
  };
}

/**
 * Compare two profiles (`/profile` answers or their rows) primitive by primitive.
 * Instances with the same key are summed per side; rows with a count of 0 and no time
 * count as not having run. Non-finite numbers count as 0.
 */
export function compareProfiles(
  a: ProfileAnswer | ReadonlyArray<ProfileRow> | null | undefined,
  b: ProfileAnswer | ReadonlyArray<ProfileRow> | null | undefined,
  options: CompareOptions = {}
): ProfileComparison {
  const key = options.key ?? 'display_name';
  interface Group {
    display: string;
    instances: Set<string>;
    a: ProfileStats | null;
    b: ProfileStats | null;
  }
  const groups = new Map<string, Group>();
  const add = (rows: ReadonlyArray<ProfileRow>, side: 'a' | 'b'): void => {
    for (const row of rows) {
      const ran =
        finite(row.count) !== 0 || finite(row.inclusive_ns) !== 0 || finite(row.exclusive_ns) !== 0;
      if (!ran) {
        continue;
      }
      const name = key === 'instance' ? row.instance : row.display_name;
      let group = groups.get(name);
      if (group === undefined) {
        group = { display: row.display_name, instances: new Set(), a: null, b: null };
        groups.set(name, group);
      }
      group.instances.add(row.instance);
      const stats = group[side] ?? zeroStats();
      addInto(stats, row);
      group[side] = stats;
    }
  };
  add(rowsOf(a), 'a');
  add(rowsOf(b), 'b');
  const rows = [...groups.entries()].map(([name, group]) =>
    makeRow(name, group.display, group.instances, group.a, group.b)
  );
  return finish(key, rows, options.sortBy ?? 'exclusive_ns');
}

/**
 * A comparison from rows that already pair the sides (e.g. a server `/compare` answer
 * with `{display_name, a: {count, inclusive_ns, exclusive_ns} | null, b: … | null}`
 * rows): differences, ratios, totals and sorting as `compareProfiles` makes them.
 * Rows with neither side are dropped.
 */
export function comparisonFromRows(
  rows: ReadonlyArray<PairedRow>,
  options: CompareOptions = {}
): ProfileComparison {
  const made: ComparisonRow[] = [];
  for (const row of rows) {
    const sides: Array<ProfileStats | null> = [row.a, row.b].map(side => {
      if (side === null || side === undefined) {
        return null;
      }
      const stats = zeroStats();
      addInto(stats, side);
      return stats;
    });
    if (sides[0] === null && sides[1] === null) {
      continue;
    }
    made.push(
      makeRow(row.key ?? row.display_name, row.display_name, row.instances ?? [], sides[0], sides[1])
    );
  }
  return finish(options.key ?? 'display_name', made, options.sortBy ?? 'exclusive_ns');
}

/** One row of the server's `/compare` answer (server_ext/charts/comparison.py), keyed by instance. */
export interface CompareAnswerRow {
  /** Instance name, e.g. `dot$12$15`. */
  instance: string;
  /** Display name, e.g. `dot`. */
  display_name: string;
  /** Line of the instance in the source (null when its name has no place). */
  line?: number | null;
  /** Column of the instance (null when its name has no place). */
  col?: number | null;
  /** Whether it ran in trace A. */
  in_a: boolean;
  /** Whether it ran in trace B. */
  in_b: boolean;
  /** A's count. */
  a_count: number;
  /** A's inclusive ns. */
  a_inclusive_ns: number;
  /** A's exclusive ns. */
  a_exclusive_ns: number;
  /** B's count. */
  b_count: number;
  /** B's inclusive ns. */
  b_inclusive_ns: number;
  /** B's exclusive ns. */
  b_exclusive_ns: number;
}

/** The server's `/compare` answer, as far as the comparison needs it. */
export interface CompareAnswer {
  /** Per-instance rows. */
  rows: ReadonlyArray<CompareAnswerRow>;
}

/**
 * A comparison from the server's `/compare` answer: keyed by instance (as the server
 * keys it; `options.key = 'display_name'` sums instances per primitive instead) and
 * sorted by |inclusive difference| like the server, unless `options.sortBy` says
 * otherwise. Sides the server marks absent (`in_a`/`in_b` false) become null.
 */
export function comparisonFromAnswer(
  answer: CompareAnswer,
  options: CompareOptions = {}
): ProfileComparison {
  const key = options.key ?? 'instance';
  const sortBy = options.sortBy ?? 'inclusive_ns';
  const side = (row: CompareAnswerRow, which: 'a' | 'b'): ProfileRow | null =>
    (which === 'a' ? row.in_a : row.in_b)
      ? {
          instance: row.instance,
          display_name: row.display_name,
          count: which === 'a' ? row.a_count : row.b_count,
          inclusive_ns: which === 'a' ? row.a_inclusive_ns : row.b_inclusive_ns,
          exclusive_ns: which === 'a' ? row.a_exclusive_ns : row.b_exclusive_ns
        }
      : null;
  const paired: PairedRow[] = [];
  for (const row of answer.rows ?? []) {
    const a = side(row, 'a');
    const b = side(row, 'b');
    paired.push({ display_name: row.display_name, key: row.instance, instances: [row.instance], a, b });
  }
  if (key === 'instance') {
    return comparisonFromRows(paired, { key, sortBy });
  }
  const rowsOfSide = (which: 'a' | 'b'): ProfileRow[] =>
    answer.rows.map(row => side(row, which)).filter((row): row is ProfileRow => row !== null);
  return compareProfiles(rowsOfSide('a'), rowsOfSide('b'), { key, sortBy });
}

/**
 * The row of `comparison` for a tree node or a selection: `name` is an instance name
 * (`dot$12$15`, matched by its display name when the comparison is keyed so) or a
 * display name. Undefined when that primitive ran on neither side.
 */
export function comparisonRowFor(
  comparison: ProfileComparison,
  name: string
): ComparisonRow | undefined {
  return (
    comparison.rows.find(row => row.key === name) ??
    comparison.rows.find(row => row.instances.includes(name)) ??
    (comparison.key === 'display_name'
      ? comparison.rows.find(row => row.key === displayName(name))
      : undefined)
  );
}

/**
 * A ratio for people: `×1.50` (B took 1.5 times A), `new` (only B), `gone` (only A),
 * `—` for NaN; `×1.00` for no change.
 */
export function formatRatio(ratio: number): string {
  if (Number.isNaN(ratio)) {
    return MISSING_TEXT;
  }
  if (ratio === Infinity || ratio === -Infinity) {
    return 'new';
  }
  if (ratio === 0) {
    return 'gone';
  }
  const digits = Math.abs(ratio) >= 100 ? 0 : Math.abs(ratio) >= 10 ? 1 : 2;
  return `×${ratio.toFixed(digits)}`;
}

/**
 * The relative change (b - a) / |a| of a row's metric as a signed fraction, or null when
 * it is undefined (A is 0: the primitive is new, or both are 0).
 */
export function relativeChange(row: ComparisonRow, metric: CompareMetric): number | null {
  const before = row.a === null ? 0 : row.a[metric];
  if (before === 0) {
    return null;
  }
  return row.difference[metric] / Math.abs(before);
}
