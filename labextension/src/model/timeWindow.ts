/**
 * The visible time window the Gantt, utilization and counter views share.
 *
 * One `TimeWindow` per trace view: wheel zoom at the cursor (`zoomAt`, the time under
 * the cursor stays under it), drag to pan (`panBy`, `dragBy`), the utilization brush
 * (`set`), and every time axis redraws on `changed`, so they pan and zoom together. The
 * window stays inside the trace [0, totalNs] and never gets narrower than `minSpanNs`.
 * Times are ns from the trace's start, kept as floating point (smooth zoom); a request to
 * the server rounds them (bins.ts `requestWindow`). No DOM, no JupyterLab imports.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { TimeRange, nsPerPx, pxToNs } from './bins';

/** The narrowest window by default: 1 µs. */
export const DEFAULT_MIN_SPAN_NS = 1_000;

/** Wheel sensitivity by default: a 100-pixel wheel step scales the span by e^0.2 ≈ 1.22. */
export const DEFAULT_WHEEL_SENSITIVITY = 0.002;

/** Options of a `TimeWindow`. */
export interface TimeWindowOptions {
  /** The narrowest span in ns (default `DEFAULT_MIN_SPAN_NS`, at most the whole trace). */
  minSpanNs?: number;
  /** The window to start with (default: the whole trace). */
  initial?: TimeRange;
}

/** What `TimeWindow.changed` carries. */
export interface TimeWindowChange {
  /** The window before. */
  previous: TimeRange;
  /** The window now. */
  current: TimeRange;
}

/**
 * The span multiplier for a wheel event's `deltaY`: `exp(deltaY * sensitivity)`.
 * Wheel down (positive) zooms out (> 1), wheel up zooms in (< 1); opposite steps
 * cancel exactly. Non-finite deltas give 1 (no zoom).
 */
export function wheelZoomFactor(
  deltaY: number,
  sensitivity: number = DEFAULT_WHEEL_SENSITIVITY
): number {
  const factor = Math.exp(deltaY * sensitivity);
  return Number.isFinite(factor) && factor > 0 ? factor : 1;
}

/**
 * The visible window [begin, end) in ns within the trace [0, totalNs], shared by all time
 * axes of a trace view. Every change keeps `0 <= begin < end <= totalNs` and
 * `end - begin >= min(minSpanNs, totalNs)`, and fires `changed` only when the window
 * really moved.
 */
export class TimeWindow {
  /**
   * A window over a trace `totalNs` long (an empty trace counts as 1 ns long, as the
   * server's default window does), showing `options.initial` or the whole trace.
   */
  constructor(totalNs: number, options: TimeWindowOptions = {}) {
    this._total = TimeWindow._validTotal(totalNs);
    this._requestedMinSpan = Math.max(options.minSpanNs ?? DEFAULT_MIN_SPAN_NS, 0);
    this._begin = 0;
    this._end = this._total;
    if (options.initial !== undefined) {
      const [begin, end] = this._fit(options.initial.begin, options.initial.end);
      this._begin = begin;
      this._end = end;
    }
  }

  /** Fires after every real change of the window, with the window before and after. */
  get changed(): ISignal<TimeWindow, TimeWindowChange> {
    return this._changed;
  }

  /** The trace's length in ns: the window stays inside [0, totalNs]. */
  get totalNs(): number {
    return this._total;
  }

  /** The narrowest span the window takes (the option, but never more than the trace). */
  get minSpanNs(): number {
    return Math.min(this._requestedMinSpan, this._total);
  }

  /** First visible ns. */
  get begin(): number {
    return this._begin;
  }

  /** The ns just after the visible window. */
  get end(): number {
    return this._end;
  }

  /** end - begin. */
  get span(): number {
    return this._end - this._begin;
  }

  /** The window as a plain object (also what `toJSON` gives, for a view's saved state). */
  get range(): TimeRange {
    return { begin: this._begin, end: this._end };
  }

  /** Whether the whole trace is visible. */
  get isWhole(): boolean {
    return this._begin <= 0 && this._end >= this._total;
  }

  /** Whether `dispose` was called. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show [begin, end) (the utilization brush, a restored state): reversed bounds are
   * swapped, a span under `minSpanNs` widens around its middle, and the window is moved
   * (not shrunk) to lie inside the trace, or cut to the trace when it is longer.
   * Returns whether the window changed. NaN bounds are ignored (false).
   */
  set(begin: number, end: number): boolean {
    if (Number.isNaN(begin) || Number.isNaN(end)) {
      return false;
    }
    const [low, high] = this._fit(begin, end);
    return this._apply(low, high);
  }

  /** Show the whole trace. */
  reset(): boolean {
    return this._apply(0, this._total);
  }

  /**
   * Zoom by `factor` (the new span is `span * factor`: below 1 zooms in, above 1 out)
   * keeping time `anchorNs` where it is on screen: the anchor's fraction of the way
   * across the window is the same before and after. The span is held to
   * [minSpanNs, totalNs]; only when zooming out hits a trace end does the window shift
   * (and the anchor with it). An anchor outside the window is taken at the nearer edge.
   * Returns whether the window changed; factors that are not finite and positive do nothing.
   */
  zoomAt(factor: number, anchorNs: number): boolean {
    if (!(factor > 0) || !Number.isFinite(factor) || Number.isNaN(anchorNs)) {
      return false;
    }
    const span = this.span;
    const anchor = Math.min(this._end, Math.max(this._begin, anchorNs));
    const fraction = span > 0 ? (anchor - this._begin) / span : 0.5;
    const wanted = Math.min(this._total, Math.max(this.minSpanNs, span * factor));
    const begin = anchor - fraction * wanted;
    const [low, high] = this._place(begin, wanted);
    return this._apply(low, high);
  }

  /**
   * `zoomAt` with the anchor given as x pixel `px` of a view `widthPx` wide (the cursor's
   * offset in the plot area).
   */
  zoomAtPixel(factor: number, px: number, widthPx: number): boolean {
    return this.zoomAt(factor, pxToNs(px, this.range, widthPx));
  }

  /**
   * Move the window by `deltaNs` (positive: later) keeping its span; it stops at the
   * trace's ends. Returns whether it moved.
   */
  panBy(deltaNs: number): boolean {
    if (!Number.isFinite(deltaNs) || deltaNs === 0) {
      return false;
    }
    const [low, high] = this._place(this._begin + deltaNs, this.span);
    return this._apply(low, high);
  }

  /**
   * Drag to pan: the pointer moved `deltaPx` pixels (positive: right) in a view
   * `widthPx` wide, and the content follows it, so the window moves the other way.
   */
  dragBy(deltaPx: number, widthPx: number): boolean {
    return this.panBy(-deltaPx * nsPerPx(this.range, widthPx));
  }

  /**
   * A new trace length (a trace that is still growing, or another trace in the same
   * view): the window keeps its place where it can and is refitted inside [0, totalNs].
   */
  setTotal(totalNs: number): boolean {
    this._total = TimeWindow._validTotal(totalNs);
    const [low, high] = this._fit(this._begin, this._end);
    return this._apply(low, high);
  }

  /** The window as `{begin, end}` (for a view's saved state; restore with `set`). */
  toJSON(): TimeRange {
    return this.range;
  }

  /** Stop firing and drop all listeners. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private static _validTotal(totalNs: number): number {
    return Number.isFinite(totalNs) && totalNs > 1 ? totalNs : 1;
  }

  /** [begin, end] for a requested window: ordered, at least minSpan, inside the trace. */
  private _fit(begin: number, end: number): [number, number] {
    let low = Math.min(begin, end);
    let high = Math.max(begin, end);
    if (!Number.isFinite(low)) {
      low = 0;
    }
    if (!Number.isFinite(high)) {
      high = this._total;
    }
    let span = high - low;
    let start = low;
    if (span < this.minSpanNs) {
      start = (low + high) / 2 - this.minSpanNs / 2;
      span = this.minSpanNs;
    }
    return this._place(start, Math.min(span, this._total));
  }

  /** A window of `span` (<= total) starting near `begin`, shifted to lie inside the trace. */
  private _place(begin: number, span: number): [number, number] {
    if (span >= this._total) {
      return [0, this._total];
    }
    if (begin <= 0) {
      return [0, span];
    }
    if (begin + span >= this._total) {
      return [this._total - span, this._total];
    }
    return [begin, begin + span];
  }

  private _apply(begin: number, end: number): boolean {
    if (this._isDisposed || (begin === this._begin && end === this._end)) {
      return false;
    }
    const previous = this.range;
    this._begin = begin;
    this._end = end;
    this._changed.emit({ previous, current: this.range });
    return true;
  }

  private _total: number;
  private readonly _requestedMinSpan: number;
  private _begin: number;
  private _end: number;
  private _isDisposed = false;
  private readonly _changed = new Signal<TimeWindow, TimeWindowChange>(this);
}
