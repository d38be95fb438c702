/**
 * Pixels, nanoseconds and bins: how a view sized in pixels asks the trace queries for
 * one bin per pixel, with spill-over so small pans need no new request.
 *
 * The server cuts a window [begin, end) (integer ns from the trace's start) into `bins`
 * equal bins, edge i at `begin + i * (end - begin) / bins`, at most `MAX_BINS`. A view
 * asks for a window a little wider than what it shows (`requestWindow`), keeps the answer
 * while it still `covers` the visible window at the screen's resolution, and maps the
 * fetched bins onto its pixels (`sliceBins` for fractions and means, `sliceCategories`
 * for the Gantt's dominant primitive). Pure functions, no DOM.
 */

/** A time window [begin, end) in ns from the trace's start. */
export interface TimeRange {
  /** First ns of the window. */
  readonly begin: number;
  /** The ns just after the window. */
  readonly end: number;
}

/** A binned window as the server takes it (`begin`, `end`, `bins` query parameters) and answers it. */
export interface BinnedWindow extends TimeRange {
  /** Number of equal bins the window is cut into (1..MAX_BINS). */
  readonly bins: number;
}

/** Most bins the server gives in one answer (its `MAX_BINS`). */
export const MAX_BINS = 10_000;

/** Default spill-over: half the visible span fetched on each side. */
export const DEFAULT_SPILL = 0.5;

/**
 * How much coarser than one bin per pixel a fetched answer may be before `covers` asks
 * for a new one (zooming in by up to this factor reuses the answer, slightly blurred).
 */
export const DEFAULT_RESOLUTION_TOLERANCE = 1.5;

/** The window's length in ns. */
export function spanOf(range: TimeRange): number {
  return range.end - range.begin;
}

/** The x pixel (0 at the left edge, `widthPx` at the right) of time `ns` in `range`. */
export function nsToPx(ns: number, range: TimeRange, widthPx: number): number {
  const span = spanOf(range);
  return span > 0 ? ((ns - range.begin) / span) * widthPx : 0;
}

/** The time in ns at x pixel `px` of a view `widthPx` wide that shows `range` (inverse of `nsToPx`). */
export function pxToNs(px: number, range: TimeRange, widthPx: number): number {
  return widthPx > 0 ? range.begin + (px / widthPx) * spanOf(range) : range.begin;
}

/** ns per pixel of a view `widthPx` wide showing `range`. */
export function nsPerPx(range: TimeRange, widthPx: number): number {
  return spanOf(range) / Math.max(widthPx, 1);
}

/**
 * Bins for a view `widthPx` wide: one per whole pixel, at least 1 and at most `MAX_BINS`
 * (a fractional width from CSS rounds; 0, negative and NaN give 1).
 */
export function binsFor(widthPx: number): number {
  if (!Number.isFinite(widthPx)) {
    return widthPx > 0 ? MAX_BINS : 1;
  }
  return Math.min(MAX_BINS, Math.max(1, Math.round(widthPx)));
}

/** Width of one bin in ns (fractional when the span is not a multiple of bins). */
export function binNs(window: BinnedWindow): number {
  return spanOf(window) / window.bins;
}

/** The bins + 1 edges of `window`, as the server computes them (the last one exactly `end`). */
export function binEdges(window: BinnedWindow): number[] {
  const width = spanOf(window) / window.bins;
  const edges: number[] = [];
  for (let i = 0; i <= window.bins; i++) {
    edges.push(window.begin + i * width);
  }
  edges[window.bins] = window.end;
  return edges;
}

/**
 * The middle of each bin of `window`, rounded to 0.1 ns as the server's chart rows are
 * (`t_ns`; a half may round the other way), so the rows the panel makes line up with
 * the ones a chart came with.
 */
export function binMiddles(window: BinnedWindow): number[] {
  const width = spanOf(window) / window.bins;
  const middles: number[] = [];
  for (let i = 0; i < window.bins; i++) {
    middles.push(Math.round((window.begin + (i + 0.5) * width) * 10) / 10);
  }
  return middles;
}

/**
 * The index of the bin of `window` holding time `ns` (bin i holds
 * [edge i, edge i+1)); -1 before the window, `bins` at or after its end.
 */
export function binIndexAt(window: BinnedWindow, ns: number): number {
  if (ns < window.begin) {
    return -1;
  }
  if (ns >= window.end) {
    return window.bins;
  }
  const index = Math.floor(((ns - window.begin) / spanOf(window)) * window.bins);
  return Math.min(window.bins - 1, Math.max(0, index));
}

/**
 * The window and bins to ask the server for, so that the view (`visible`, `widthPx`
 * pixels) gets one bin per pixel and a small pan needs no new request: `spill` of the
 * visible span is added on each side (0.5: the answer is twice as wide as the view),
 * the result is clamped to the trace [0, totalNs] (what is cut at one end is not moved
 * to the other: the answer stays centred on the view), and begin/end are whole ns
 * (floor/ceil) as the server requires. The bins keep the visible resolution; when that
 * would pass `MAX_BINS` the spill shrinks first, and only a view wider than `MAX_BINS`
 * pixels gets coarser bins. A window under a ns per bin gets one bin per ns.
 */
export function requestWindow(
  visible: TimeRange,
  widthPx: number,
  totalNs: number,
  spill: number = DEFAULT_SPILL
): BinnedWindow {
  const total = Math.max(1, Math.ceil(totalNs));
  const visibleBegin = clamp(visible.begin, 0, total);
  const visibleEnd = clamp(visible.end, 0, total);
  const span = Math.max(visibleEnd - visibleBegin, 1e-9);
  const pixels = binsFor(widthPx);
  const perBin = span / pixels;
  // Shrink the spill so that the wider window still fits MAX_BINS at this resolution.
  const room = Math.max(0, (MAX_BINS - pixels) / 2) * perBin;
  const extra = Math.min(Math.max(0, Number.isFinite(spill) ? spill : 0) * span, room);
  let begin = Math.floor(clamp(visibleBegin - extra, 0, total));
  let end = Math.ceil(clamp(visibleEnd + extra, 0, total));
  if (end <= begin) {
    // A window under one ns: widen to a whole ns inside the trace.
    end = Math.min(total, begin + 1);
    begin = end - 1;
  }
  const bins = Math.min(MAX_BINS, end - begin, Math.max(1, Math.round((end - begin) / perBin)));
  return { begin, end, bins };
}

/**
 * Whether a fetched answer can draw the visible window: it contains `visible` (clamped
 * to [0, totalNs] when that is given: the trace's ends need not be fetched twice) and,
 * when `widthPx` is given, its bins are at most `tolerance` times wider than a pixel.
 * False means: ask again with `requestWindow`.
 */
export function covers(
  fetched: BinnedWindow | null | undefined,
  visible: TimeRange,
  widthPx?: number,
  totalNs?: number,
  tolerance: number = DEFAULT_RESOLUTION_TOLERANCE
): boolean {
  if (fetched === null || fetched === undefined) {
    return false;
  }
  const low = totalNs === undefined ? visible.begin : clamp(visible.begin, 0, totalNs);
  const high = totalNs === undefined ? visible.end : clamp(visible.end, 0, totalNs);
  if (low < fetched.begin || high > fetched.end) {
    return false;
  }
  if (widthPx === undefined) {
    return true;
  }
  const pixels = binsFor(widthPx);
  const wanted = Math.max(high - low, 1e-9) / pixels;
  // A view wider than MAX_BINS pixels cannot get finer than MAX_BINS bins per window.
  const finest = spanOf(fetched) / Math.min(MAX_BINS, Math.max(1, spanOf(fetched)));
  return binNs(fetched) <= Math.max(wanted * tolerance, finest * (1 + 1e-9));
}

/**
 * Resample fetched per-bin values (busy fractions, counter means) onto the `widthPx`
 * pixels of the visible window: each pixel gets the mean of the bins it overlaps,
 * weighted by overlap (so a pixel over one fine bin gets that bin's value, and a pixel
 * over many averages them). `null` values (no sample) are left out of the mean; a pixel
 * with no value, or outside the fetched window, gets `null`. The result has
 * `binsFor(widthPx)` entries.
 */
export function sliceBins(
  fetched: BinnedWindow,
  values: ReadonlyArray<number | null>,
  visible: TimeRange,
  widthPx: number
): Array<number | null> {
  const pixels = binsFor(widthPx);
  const out: Array<number | null> = new Array<number | null>(pixels).fill(null);
  const pixelNs = spanOf(visible) / pixels;
  const width = binNs(fetched);
  if (!(pixelNs > 0) || !(width > 0)) {
    return out;
  }
  const count = Math.min(fetched.bins, values.length);
  for (let p = 0; p < pixels; p++) {
    const low = visible.begin + p * pixelNs;
    const high = p === pixels - 1 ? visible.end : low + pixelNs;
    const first = Math.max(0, Math.floor((low - fetched.begin) / width));
    const last = Math.min(count - 1, Math.ceil((high - fetched.begin) / width) - 1);
    let weighted = 0;
    let weights = 0;
    for (let i = first; i <= last; i++) {
      const value = values[i];
      if (value === null || value === undefined || Number.isNaN(value)) {
        continue;
      }
      const binLow = fetched.begin + i * width;
      const overlap = Math.min(high, binLow + width) - Math.max(low, binLow);
      if (overlap > 0) {
        weighted += value * overlap;
        weights += overlap;
      }
    }
    out[p] = weights > 0 ? weighted / weights : null;
  }
  return out;
}

/**
 * Map fetched per-bin categories (the Gantt's `dominant` legend positions, `null` when
 * idle) onto the visible pixels: each pixel takes the bin under its centre. Pixels
 * outside the fetched window get `null`. The result has `binsFor(widthPx)` entries.
 */
export function sliceCategories<T>(
  fetched: BinnedWindow,
  values: ReadonlyArray<T | null>,
  visible: TimeRange,
  widthPx: number
): Array<T | null> {
  const pixels = binsFor(widthPx);
  const out: Array<T | null> = new Array<T | null>(pixels).fill(null);
  const pixelNs = spanOf(visible) / pixels;
  const count = Math.min(fetched.bins, values.length);
  for (let p = 0; p < pixels; p++) {
    const centre = visible.begin + (p + 0.5) * pixelNs;
    const index = binIndexAt(fetched, centre);
    if (index >= 0 && index < count) {
      const value = values[index];
      out[p] = value === undefined ? null : value;
    }
  }
  return out;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
