/**
 * Lanes of the Gantt chart's raw intervals: nested tasks of one location stack in lanes
 * (0 outermost), and a highlighted task is drawn in the lane the base chart gave it, so
 * the tasks nested in it stay visible. Pure functions, no DOM.
 */
import { formatGuid } from './format';

/** What lanes need of a raw interval: start, end, legend position, GUID (a `/gantt` row). */
export type LaneRow = readonly [number, number, number, number | string, ...unknown[]];

/** Nesting depth of each raw interval of one location (sorted by start), 0 outermost. */
export function depths(rows: ReadonlyArray<LaneRow>): number[] {
  const open: number[] = [];
  const result: number[] = [];
  for (const [start, end] of rows) {
    while (open.length && open[open.length - 1] <= start) {
      open.pop();
    }
    result.push(open.length);
    open.push(end);
  }
  return result;
}

/** Per location, GUID (as decimal text: exact past 2^53) → [lane, lanes in that location]. */
export type LaneIndex = Map<string, Map<string, [number, number]>>;

/** Index the lanes of an answer's raw intervals by GUID (null without raw intervals). */
export function laneIndex(
  answer: { intervals: Record<string, ReadonlyArray<LaneRow>> | null } | null
): LaneIndex | null {
  if (!answer?.intervals) {
    return null;
  }
  const index: LaneIndex = new Map();
  for (const [name, rows] of Object.entries(answer.intervals)) {
    const lanes = depths(rows);
    const deepest = Math.max(0, ...lanes) + 1;
    index.set(name, new Map(rows.map((row, i) => [formatGuid(row[3]), [lanes[i], deepest]])));
  }
  return index;
}
