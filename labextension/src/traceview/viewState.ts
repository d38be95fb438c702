/**
 * What a trace view remembers between openings: its time window, selection, split sizes
 * and tree colour mode, kept in the browser's localStorage under the trace's id.
 *
 * Only plain JSON goes in; a damaged or foreign entry reads as "nothing remembered".
 */

/** The remembered state of one trace's view (every part optional). */
export interface TraceViewMemory {
  /** The Gantt's window, ns from the trace's start. */
  window?: { begin: number; end: number };
  /** The selection as the SelectionModel describes it. */
  selection?: Record<string, unknown>;
  /** Relative sizes of the split panels, by panel name. */
  splits?: Record<string, number[]>;
  /** Tree colouring: inclusive, exclusive or difference. */
  colorMode?: string;
}

const PREFIX = 'jetlag:traceview:';

/** The storage key of a trace's view. */
export function memoryKey(traceId: string): string {
  return `${PREFIX}${traceId}`;
}

/** What was remembered for `traceId` ({} when nothing, or when storage is unavailable). */
export function recall(traceId: string): TraceViewMemory {
  try {
    const text = window.localStorage.getItem(memoryKey(traceId));
    const value = text ? JSON.parse(text) : null;
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

/** Merge `part` into what is remembered for `traceId`. */
export function remember(traceId: string, part: TraceViewMemory): void {
  try {
    const merged = { ...recall(traceId), ...part };
    window.localStorage.setItem(memoryKey(traceId), JSON.stringify(merged));
  } catch {
    // Storage full or disabled: the view still works, it just forgets.
  }
}
