/**
 * Drawing the Gantt chart on a 2D canvas: rows per location, one column per bin of the
 * server's answer, raw intervals as boxes, the selected primitive's tasks and a selected
 * task's parent chain on top.
 *
 * Pure drawing and hit-testing from answers already fetched; no requests, no state.
 */
import { formatGuid } from '../model/format';
import { LaneIndex, depths } from '../model/lanes';
import { GanttAnswer, RawInterval } from './api';

export { LaneIndex, laneIndex } from '../model/lanes';

/** Width of the location labels at the left, CSS px. */
export const LABEL_WIDTH = 96;
/** Height of the time axis at the top, CSS px. */
export const AXIS_HEIGHT = 18;

/** The colours the chart uses, read once per draw from the theme. */
export interface GanttColors {
  /** Text and ticks. */
  text: string;
  /** Row separators. */
  grid: string;
  /** Highlight outline (selected primitive, task chain). */
  accent: string;
  /** Background. */
  background: string;
  /** The font family of labels (a canvas cannot resolve CSS variables itself). */
  font: string;
}

/** Where rows and the plot area are on the canvas. */
export interface GanttGeometry {
  /** Canvas width, CSS px. */
  width: number;
  /** Canvas height, CSS px. */
  height: number;
  /** Row height, CSS px. */
  rowHeight: number;
  /** Location names, top to bottom. */
  locations: string[];
  /** Visible window start, ns. */
  begin: number;
  /** Visible window end, ns. */
  end: number;
}

const PALETTE = [
  '#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#eeca3b', '#b279a2',
  '#ff9da6', '#9d755d', '#bab0ac', '#1f77b4', '#8c564b', '#17becf', '#bcbd22'
];

/** A stable colour for a primitive, from its display name (the same in every view). */
export function colorOf(displayName: string): string {
  let hash = 0;
  for (let i = 0; i < displayName.length; i++) {
    hash = (hash * 31 + displayName.charCodeAt(i)) | 0;
  }
  return PALETTE[Math.abs(hash) % PALETTE.length];
}

/** Plot width in CSS px (the canvas less the labels). */
export function plotWidth(geometry: GanttGeometry): number {
  return Math.max(1, geometry.width - LABEL_WIDTH);
}

/** The x (CSS px, canvas coordinates) of time `ns`. */
export function xOf(geometry: GanttGeometry, ns: number): number {
  const span = geometry.end - geometry.begin;
  return LABEL_WIDTH + ((ns - geometry.begin) / span) * plotWidth(geometry);
}

/** The time (ns) at canvas x. */
export function nsAt(geometry: GanttGeometry, x: number): number {
  const span = geometry.end - geometry.begin;
  return geometry.begin + ((x - LABEL_WIDTH) / plotWidth(geometry)) * span;
}

/** The row index at canvas y, or -1 outside the rows. */
export function rowAt(geometry: GanttGeometry, y: number): number {
  const row = Math.floor((y - AXIS_HEIGHT) / geometry.rowHeight);
  return row >= 0 && row < geometry.locations.length ? row : -1;
}


/** The innermost raw interval of `rows` covering `ns` (or nearest within `slack` ns). */
export function intervalAt(rows: RawInterval[], ns: number, slack: number): RawInterval | null {
  let best: RawInterval | null = null;
  for (const row of rows) {
    if (row[0] - slack <= ns && ns <= row[1] + slack) {
      if (best === null || row[1] - row[0] < best[1] - best[0]) {
        best = row;
      }
    }
  }
  return best;
}

function drawAxis(context: CanvasRenderingContext2D, g: GanttGeometry, colors: GanttColors): void {
  context.fillStyle = colors.text;
  context.strokeStyle = colors.grid;
  context.font = `10px ${colors.font}`;
  context.textBaseline = 'middle';
  const span = g.end - g.begin;
  const rough = span / Math.max(1, plotWidth(g) / 90);
  const step = Math.pow(10, Math.floor(Math.log10(rough)));
  const tick = [1, 2, 5, 10].map(m => m * step).find(s => s >= rough) ?? step * 10;
  const unit = tick >= 1e9 ? 1e9 : tick >= 1e6 ? 1e6 : tick >= 1e3 ? 1e3 : 1;
  const suffix = unit === 1e9 ? 's' : unit === 1e6 ? 'ms' : unit === 1e3 ? 'µs' : 'ns';
  const digits = Math.max(0, Math.ceil(-Math.log10(tick / unit)));
  for (let t = Math.ceil(g.begin / tick) * tick; t <= g.end; t += tick) {
    const x = Math.round(xOf(g, t)) + 0.5;
    context.beginPath();
    context.moveTo(x, AXIS_HEIGHT - 4);
    context.lineTo(x, g.height);
    context.globalAlpha = 0.35;
    context.stroke();
    context.globalAlpha = 1;
    context.fillText(`${(t / unit).toFixed(digits)} ${suffix}`, x + 2, AXIS_HEIGHT / 2);
  }
}

function drawLabels(context: CanvasRenderingContext2D, g: GanttGeometry, colors: GanttColors): void {
  context.fillStyle = colors.background;
  context.fillRect(0, 0, LABEL_WIDTH, g.height);
  context.fillStyle = colors.text;
  context.strokeStyle = colors.grid;
  context.font = `11px ${colors.font}`;
  context.textBaseline = 'middle';
  g.locations.forEach((name, row) => {
    const top = AXIS_HEIGHT + row * g.rowHeight;
    context.fillText(name, 4, top + g.rowHeight / 2, LABEL_WIDTH - 8);
    context.beginPath();
    context.moveTo(0, top + g.rowHeight + 0.5);
    context.lineTo(g.width, top + g.rowHeight + 0.5);
    context.stroke();
  });
}

/**
 * Bins of `answer` as columns: for each pixel column, the bin under its centre; runs of
 * pixels that share a bin are drawn as one rectangle of height busy x row height.
 */
function drawBins(
  context: CanvasRenderingContext2D,
  g: GanttGeometry,
  answer: GanttAnswer,
  color: (legendPosition: number) => string,
  outline: string | null
): void {
  const width = plotWidth(g);
  const nsPerPx = (g.end - g.begin) / width;
  g.locations.forEach((name, row) => {
    const data = answer.per_location[name];
    if (!data) {
      return;
    }
    const top = AXIS_HEIGHT + row * g.rowHeight + 1;
    const height = g.rowHeight - 2;
    let px = 0;
    while (px < width) {
      const ns = g.begin + (px + 0.5) * nsPerPx;
      const bin = Math.floor((ns - answer.begin) / answer.bin_ns);
      let run = 1;
      while (
        px + run < width &&
        Math.floor((g.begin + (px + run + 0.5) * nsPerPx - answer.begin) / answer.bin_ns) === bin
      ) {
        run++;
      }
      const busy = bin >= 0 && bin < answer.bins ? data.busy[bin] : 0;
      const dominant = bin >= 0 && bin < answer.bins ? data.dominant[bin] : null;
      if (busy > 0 && dominant !== null && dominant !== undefined) {
        const h = Math.max(1, busy * height);
        context.fillStyle = color(dominant);
        context.fillRect(LABEL_WIDTH + px, top + height - h, run, h);
        if (outline) {
          context.fillStyle = outline;
          context.fillRect(LABEL_WIDTH + px, top, run, 2);
        }
      }
      px += run;
    }
  });
}

/** Raw intervals as nested boxes (depth lanes within the row); returns boxes drawn. */
/** Lanes of one location's raw intervals: each interval's nesting lane and how many. */
interface Lanes {
  lanes: number[];
  deepest: number;
}


function drawIntervals(
  context: CanvasRenderingContext2D,
  g: GanttGeometry,
  answer: GanttAnswer,
  color: (legendPosition: number) => string,
  outline: string | null,
  placed: LaneIndex | null = null
): void {
  const raw = answer.intervals ?? {};
  g.locations.forEach((name, row) => {
    const rows = raw[name];
    if (!rows || !rows.length) {
      return;
    }
    const own: Lanes = { lanes: depths(rows), deepest: 0 };
    own.deepest = Math.max(...own.lanes) + 1;
    const there = placed?.get(name);
    const top = AXIS_HEIGHT + row * g.rowHeight + 1;
    rows.forEach((interval, i) => {
      // A highlighted task sits in the lane the base chart drew it in, so the tasks
      // nested in it (or around it) stay visible.
      const [laneOf, deepest] = there?.get(formatGuid(interval[3])) ?? [own.lanes[i], own.deepest];
      const lane = Math.max(2, (g.rowHeight - 2) / deepest);
      const x0 = Math.max(LABEL_WIDTH, xOf(g, interval[0]));
      const x1 = Math.min(g.width, xOf(g, interval[1]));
      if (x1 < LABEL_WIDTH || x0 > g.width) {
        return;
      }
      const y = top + Math.min(laneOf, deepest - 1) * lane;
      const w = Math.max(1, x1 - x0);
      context.fillStyle = color(interval[2]);
      context.fillRect(x0, y, w, lane - 1);
      if (outline) {
        context.strokeStyle = outline;
        context.lineWidth = 2;
        context.strokeRect(x0, y, w, lane - 1);
        context.lineWidth = 1;
      }
    });
  });
}

/** Draw the base chart (all primitives) and, dimmed under it, nothing else. */
export function drawBase(
  context: CanvasRenderingContext2D,
  g: GanttGeometry,
  answer: GanttAnswer | null,
  colors: GanttColors,
  dimmed: boolean
): void {
  context.clearRect(0, 0, g.width, g.height);
  drawAxis(context, g, colors);
  if (answer) {
    const color = (p: number): string => colorOf(answer.legend_display_names[p] ?? '');
    context.globalAlpha = dimmed ? 0.25 : 1;
    if (answer.intervals) {
      drawIntervals(context, g, answer, color, null);
    } else {
      drawBins(context, g, answer, color, null);
    }
    context.globalAlpha = 1;
  }
  drawLabels(context, g, colors);
}

/** Draw the selected primitive's own answer (`/gantt?primitive=`) on top, outlined. */
export function drawHighlight(
  context: CanvasRenderingContext2D,
  g: GanttGeometry,
  answer: GanttAnswer,
  colors: GanttColors,
  base: LaneIndex | null = null
): void {
  const color = (p: number): string => colorOf(answer.legend_display_names[p] ?? '');
  context.save();
  context.beginPath();
  context.rect(LABEL_WIDTH, AXIS_HEIGHT, plotWidth(g), g.height - AXIS_HEIGHT);
  context.clip();
  if (answer.intervals) {
    drawIntervals(context, g, answer, color, colors.accent, base);
  } else {
    drawBins(context, g, answer, color, colors.accent);
  }
  context.restore();
}

/** A task on the chart: its location, start, end. */
export interface ChainTask {
  /** Location name. */
  location: string;
  /** Start, ns. */
  start: number;
  /** End, ns. */
  end: number;
}

/** Outline the selected task and its parents (nearest first), joined by lines. */
export function drawChain(
  context: CanvasRenderingContext2D,
  g: GanttGeometry,
  chain: ChainTask[],
  colors: GanttColors
): void {
  context.save();
  context.strokeStyle = colors.accent;
  context.lineWidth = 2;
  let previous: { x: number; y: number } | null = null;
  chain.forEach((task, i) => {
    const row = g.locations.indexOf(task.location);
    if (row < 0) {
      return;
    }
    const top = AXIS_HEIGHT + row * g.rowHeight;
    const x0 = Math.max(LABEL_WIDTH, xOf(g, task.start));
    const x1 = Math.min(g.width, Math.max(x0 + 2, xOf(g, task.end)));
    const inset = Math.min(i, 3) * 2;
    context.setLineDash(i === 0 ? [] : [4, 3]);
    context.strokeRect(x0 + 0.5, top + 1 + inset, x1 - x0 - 1, g.rowHeight - 2 - inset * 2);
    const here = { x: x0, y: top + g.rowHeight / 2 };
    if (previous) {
      context.setLineDash([]);
      context.beginPath();
      context.moveTo(previous.x, previous.y);
      context.lineTo(here.x, here.y);
      context.stroke();
    }
    previous = here;
  });
  context.restore();
}
