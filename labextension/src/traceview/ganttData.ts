/**
 * Pure helpers of the Gantt view: its layout, the count of highlighted tasks and the
 * task records behind a click (from raw intervals or an `/intervals` page).
 */
import { TaskInfo } from '../model/selection';
import { GanttAnswer, IntervalRecord, RawInterval } from './api';
import { AXIS_HEIGHT, GanttGeometry } from './ganttPaint';

/** Rows share the height (nested tasks stack inside a row), 8 to 160 px each. */
export function layout(
  clientWidth: number,
  clientHeight: number,
  locations: string[],
  begin: number,
  end: number
): GanttGeometry {
  const width = Math.max(1, clientWidth);
  const height = Math.max(AXIS_HEIGHT + 10, clientHeight);
  const rows = Math.max(1, locations.length);
  const rowHeight = Math.max(8, Math.min(160, (height - AXIS_HEIGHT) / rows));
  return {
    width,
    height: Math.max(height, AXIS_HEIGHT + rowHeight * rows),
    rowHeight,
    locations,
    begin,
    end
  };
}

/** The selected primitive's tasks overlapping the visible window (exact with raw intervals). */
export function countHighlighted(answer: GanttAnswer, g: GanttGeometry): number {
  if (!answer.intervals) {
    return answer.interval_count;
  }
  let count = 0;
  for (const rows of Object.values(answer.intervals)) {
    for (const row of rows) {
      if (row[1] > g.begin && row[0] < g.end) {
        count++;
      }
    }
  }
  return count;
}

/** A raw Gantt row as a task record. */
export function taskOfRaw(row: RawInterval, location: string, answer: GanttAnswer): TaskInfo {
  const [start, end, position, guid, parent, kind] = row;
  return {
    guid,
    parent_guid: parent,
    location,
    primitive: answer.legend[position] ?? '?',
    display_name: answer.legend_display_names[position] ?? '?',
    kind,
    start,
    end,
    duration: end - start
  };
}

/** The shortest of `records` that covers `ns` (else the shortest of all), or null. */
export function innermost(records: IntervalRecord[], ns: number): TaskInfo | null {
  const covering = records.filter(r => r.start <= ns && ns <= r.end);
  const pool = covering.length ? covering : records;
  let best: IntervalRecord | null = null;
  for (const record of pool) {
    if (best === null || record.duration < best.duration) {
      best = record;
    }
  }
  return best;
}

