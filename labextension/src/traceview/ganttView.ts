/**
 * The Gantt chart of one trace: tasks per worker over time on a canvas, one column per
 * bin of `/gantt` (one bin per pixel, with spill-over), raw intervals as boxes when the
 * window holds few, the selected primitive's tasks on top and a selected task's parent
 * chain. Wheel zooms at the cursor, drag pans (through the shared TimeWindow); hovering
 * shows a task's primitive, line:col, duration and GUID; clicking selects the task.
 *
 * It writes `data-highlighted-tasks` (how many of the selected primitive's tasks overlap
 * the window) on its node and marks `jetlag:gantt-redraw` / `jetlag:gantt-highlight`
 * with the Performance API when a redraw or a highlight is complete.
 */
import { Widget } from '@lumino/widgets';

import { onThemeChange, themeKind } from '../dom';
import { covers, requestWindow } from '../model/bins';
import { formatNs, formatPlace } from '../model/format';
import { SelectionModel, TaskInfo, primitivesOfSelection } from '../model/selection';
import { TimeWindow, wheelZoomFactor } from '../model/timeWindow';
import { GanttAnswer, TraceApi, errorText } from './api';
import { countHighlighted, innermost, layout, taskOfRaw } from './ganttData';
import {
  AXIS_HEIGHT,
  ChainTask,
  GanttColors,
  GanttGeometry,
  LABEL_WIDTH,
  drawBase,
  drawChain,
  drawHighlight,
  intervalAt,
  laneIndex,
  LaneIndex,
  nsAt,
  plotWidth,
  rowAt
} from './ganttPaint';

/** What the Gantt view needs: the trace's API, its locations and the shared models. */
export interface GanttViewOptions {
  /** REST calls of the trace. */
  api: TraceApi;
  /** Location (worker) names, top to bottom. */
  locations: string[];
  /** The shared visible window. */
  timeWindow: TimeWindow;
  /** The shared selection. */
  selection: SelectionModel;
}

/** A canvas Gantt chart linked to the trace view's window and selection. */
export class GanttView extends Widget {
  /** A Gantt chart for the given trace and models. */
  constructor(options: GanttViewOptions) {
    super();
    this.api = options.api;
    this.locations = options.locations;
    this.timeWindow = options.timeWindow;
    this.selection = options.selection;
    this.addClass('jl-TraceView-gantt');
    this.node.tabIndex = 0;
    this.node.setAttribute('role', 'img');
    this.node.setAttribute('aria-label', 'Gantt chart of tasks per worker over time');
    this.node.dataset.highlightedTasks = '0';
    this.node.dataset.highlightState = 'none';
    this.canvas = document.createElement('canvas');
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'jl-TraceView-tooltip';
    this.tooltip.hidden = true;
    this.node.append(this.canvas, this.tooltip);
    this.timeWindow.changed.connect(this.onWindowChanged, this);
    this.selection.changed.connect(this.onSelectionChanged, this);
    this.canvas.addEventListener('wheel', this.onWheel, { passive: false });
    this.canvas.addEventListener('pointerdown', this.onPointerDown);
    this.canvas.addEventListener('pointermove', this.onPointerMove);
    this.canvas.addEventListener('pointerup', this.onPointerUp);
    this.canvas.addEventListener('pointerleave', () => this.hideTooltip());
    this.node.addEventListener('keydown', this.onKeyDown);
    this.stopThemeWatch = onThemeChange(() => this.schedule());
  }

  /** Stop listening to the models. */
  dispose(): void {
    this.stopThemeWatch();
    this.timeWindow.changed.disconnect(this.onWindowChanged, this);
    this.selection.changed.disconnect(this.onSelectionChanged, this);
    super.dispose();
  }

  /** Refetch and redraw after the widget was resized or shown. */
  protected onResize(): void {
    this.schedule();
  }

  /** Draw once attached. */
  protected onAfterAttach(): void {
    this.schedule();
  }

  /** Draw when shown again. */
  protected onAfterShow(): void {
    this.schedule();
  }

  private onWindowChanged(): void {
    this.pendingRedraw = this.pendingRedraw ?? performance.now();
    this.schedule();
  }

  private onSelectionChanged(): void {
    this.pendingHighlight = performance.now();
    this.highlight = null;
    this.chain = [];
    const current = this.selection.selection;
    if (current.kind === 'task') {
      this.chain = [current.task, ...current.ancestry];
    }
    this.node.dataset.highlightState = primitivesOfSelection(current).length ? 'loading' : 'none';
    this.node.dataset.highlightedTasks = '0';
    this.schedule();
  }

  /** Coalesce redraw requests into one per animation frame. */
  private schedule(): void {
    if (this.frame !== 0) {
      return;
    }
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      void this.refresh();
    });
  }

  private geometry(): GanttGeometry {
    const { begin, end } = this.timeWindow;
    return layout(this.node.clientWidth, this.node.clientHeight, this.locations, begin, end);
  }

  /** Fetch what the window or selection needs (if anything), then draw. */
  private async refresh(): Promise<void> {
    if (!this.isVisible || this.node.clientWidth === 0) {
      return;
    }
    const g = this.geometry();
    const width = plotWidth(g);
    const total = this.timeWindow.totalNs;
    const visible = this.timeWindow.range;
    const primitives = primitivesOfSelection(this.selection.selection);
    const wanted = primitives[0] ?? null;
    const fetches: Promise<void>[] = [];
    if (!covers(this.base, visible, width, total)) {
      const request = requestWindow(visible, width, total);
      const ticket = ++this.baseTicket;
      fetches.push(
        this.api.gantt({ ...request, locations: undefined }).then(
          answer => {
            if (ticket === this.baseTicket) {
              this.base = answer;
            }
          },
          reason => this.showError(reason)
        )
      );
    }
    if (wanted !== null && (this.highlightFor !== wanted || !covers(this.highlight, visible, width, total))) {
      const request = requestWindow(visible, width, total);
      const ticket = ++this.highlightTicket;
      this.highlightFor = wanted;
      fetches.push(
        this.fetchHighlight(primitives, request).then(answer => {
          if (ticket === this.highlightTicket) {
            this.highlight = answer;
          }
        })
      );
    } else if (wanted === null) {
      this.highlightFor = null;
      this.highlight = null;
    }
    this.draw(g);
    if (fetches.length) {
      await Promise.all(fetches);
      this.draw(this.geometry());
    }
  }

  /** `/gantt?primitive=` for the first primitive; a name the trace lacks highlights nothing. */
  private async fetchHighlight(
    primitives: string[],
    request: { begin: number; end: number; bins: number }
  ): Promise<GanttAnswer | null> {
    try {
      return await this.api.gantt({ ...request, primitive: primitives[0] });
    } catch {
      return null; // e.g. a tree node with no tasks in the trace (a variable, a define)
    }
  }

  private colors(): GanttColors {
    const style = getComputedStyle(this.node);
    const read = (name: string, fallback: string): string =>
      style.getPropertyValue(name).trim() || fallback;
    return {
      text: read('--jp-ui-font-color1', '#222'),
      grid: read('--jp-border-color2', '#ccc'),
      accent: read('--jp-brand-color0', '#0d47a1'),
      background: read('--jp-layout-color1', '#fff'),
      font: read('--jp-ui-font-family', 'sans-serif')
    };
  }

  /** Paint from the answers at hand and record the interaction's duration. */
  private draw(g: GanttGeometry): void {
    const ratio = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(g.width * ratio) || this.canvas.height !== Math.round(g.height * ratio)) {
      this.canvas.width = Math.round(g.width * ratio);
      this.canvas.height = Math.round(g.height * ratio);
      this.canvas.style.width = `${g.width}px`;
      this.canvas.style.height = `${g.height}px`;
    }
    const context = this.canvas.getContext('2d');
    if (!context) {
      return;
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const colors = this.colors();
    const selecting = this.highlightFor !== null;
    drawBase(context, g, this.base, colors, selecting);
    if (this.highlight) {
      if (this.lanesOf !== this.base) {
        this.lanes = laneIndex(this.base);
        this.lanesOf = this.base;
      }
      drawHighlight(context, g, this.highlight, colors, this.lanes);
    }
    if (this.chain.length) {
      drawChain(context, g, this.chain as ChainTask[], colors);
    }
    this.node.dataset.window = `${Math.round(g.begin)}-${Math.round(g.end)}`;
    this.node.dataset.theme = themeKind();
    // Where the rows are, for tests and tools that click a task (CSS px on the canvas).
    this.node.dataset.plotLeft = String(LABEL_WIDTH);
    this.node.dataset.axisHeight = String(AXIS_HEIGHT);
    this.node.dataset.rowHeight = String(g.rowHeight);
    const ready = this.base !== null && covers(this.base, this.timeWindow.range, plotWidth(g), this.timeWindow.totalNs);
    if (ready && this.pendingRedraw !== null) {
      performance.measure('jetlag:gantt-redraw', { start: this.pendingRedraw, end: performance.now() });
      this.pendingRedraw = null;
      this.node.dataset.redraws = String(++this.redraws);
    }
    if (selecting && this.highlight) {
      this.node.dataset.highlightedTasks = String(countHighlighted(this.highlight, g));
      this.node.dataset.highlightState = 'ready';
      if (this.pendingHighlight !== null) {
        performance.measure('jetlag:gantt-highlight', { start: this.pendingHighlight, end: performance.now() });
        this.pendingHighlight = null;
      }
    } else if (selecting && this.highlightFor !== null && this.highlightTicket > 0) {
      // A primitive without tasks answers null: nothing to light up.
      this.node.dataset.highlightedTasks = '0';
    }
  }

  private showError(reason: unknown): void {
    this.node.dataset.error = errorText(reason);
    this.tooltip.hidden = false;
    this.tooltip.textContent = `Gantt: ${errorText(reason)}`;
  }

  // -- pointer and keyboard ------------------------------------------------------------

  private readonly onWheel = (event: WheelEvent): void => {
    event.preventDefault();
    const g = this.geometry();
    const rect = this.canvas.getBoundingClientRect();
    this.timeWindow.zoomAt(wheelZoomFactor(event.deltaY), nsAt(g, event.clientX - rect.left));
  };

  private readonly onPointerDown = (event: PointerEvent): void => {
    this.dragFrom = { x: event.clientX, y: event.clientY, last: event.clientX, moved: false };
    this.canvas.setPointerCapture?.(event.pointerId);
    this.node.focus();
  };

  private readonly onPointerMove = (event: PointerEvent): void => {
    const drag = this.dragFrom;
    if (drag) {
      if (Math.abs(event.clientX - drag.x) > 3) {
        drag.moved = true;
      }
      if (drag.moved) {
        this.timeWindow.dragBy(event.clientX - drag.last, plotWidth(this.geometry()));
        drag.last = event.clientX;
        this.hideTooltip();
        return;
      }
    }
    this.hover(event);
  };

  private readonly onPointerUp = (event: PointerEvent): void => {
    const drag = this.dragFrom;
    this.dragFrom = null;
    if (drag && !drag.moved) {
      void this.taskAt(event).then(task => {
        if (task) {
          void this.selectTask(task);
        }
      });
    }
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    const g = this.geometry();
    const middle = (g.begin + g.end) / 2;
    const step = (g.end - g.begin) / 10;
    const actions: Record<string, () => void> = {
      '+': () => this.timeWindow.zoomAt(0.8, middle),
      '=': () => this.timeWindow.zoomAt(0.8, middle),
      '-': () => this.timeWindow.zoomAt(1.25, middle),
      ArrowLeft: () => this.timeWindow.panBy(-step),
      ArrowRight: () => this.timeWindow.panBy(step),
      '0': () => this.timeWindow.reset()
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  /** Select a task and fetch its parent chain. */
  private async selectTask(task: TaskInfo): Promise<void> {
    this.selection.selectTask(task);
    try {
      const detail = await this.api.interval(task.guid);
      this.selection.setAncestry(task, detail.ancestry);
    } catch (reason) {
      this.showError(reason);
    }
  }

  /** The task under the pointer: from raw intervals, else asked of `/intervals`. */
  private async taskAt(event: PointerEvent): Promise<TaskInfo | null> {
    const g = this.geometry();
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const row = rowAt(g, event.clientY - rect.top);
    if (row < 0 || x < 0) {
      return null;
    }
    const ns = nsAt(g, x);
    const location = g.locations[row];
    const pixelNs = (g.end - g.begin) / plotWidth(g);
    const source = this.highlight?.intervals ? this.highlight : this.base;
    const rows = source?.intervals?.[location];
    if (source && rows) {
      const hit = intervalAt(rows, ns, 2 * pixelNs);
      return hit ? taskOfRaw(hit, location, source) : null;
    }
    try {
      const page = await this.api.intervals({
        begin: Math.max(0, ns - 2 * pixelNs),
        end: ns + 2 * pixelNs + 1,
        locations: [location],
        primitive: this.highlightFor,
        limit: 200
      });
      return innermost(page.intervals, ns);
    } catch {
      return null;
    }
  }

  private hover(event: PointerEvent): void {
    const ticket = ++this.hoverTicket;
    window.clearTimeout(this.hoverTimer);
    this.hoverTimer = window.setTimeout(() => {
      void this.taskAt(event).then(task => {
        if (ticket !== this.hoverTicket) {
          return;
        }
        if (!task) {
          this.hideTooltip();
          return;
        }
        const rect = this.node.getBoundingClientRect();
        this.tooltip.hidden = false;
        this.tooltip.textContent = [
          formatPlace(task.primitive),
          `duration ${formatNs(task.duration)}`,
          `GUID ${task.guid}`,
          `${task.location}, ${task.kind}`
        ].join('\n');
        this.tooltip.style.left = `${Math.min(event.clientX - rect.left + 12, rect.width - 180)}px`;
        this.tooltip.style.top = `${event.clientY - rect.top + 12}px`;
      });
    }, 60);
  }

  private hideTooltip(): void {
    ++this.hoverTicket;
    window.clearTimeout(this.hoverTimer);
    this.tooltip.hidden = true;
  }

  private readonly api: TraceApi;
  private readonly locations: string[];
  private readonly timeWindow: TimeWindow;
  private readonly selection: SelectionModel;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLDivElement;
  private readonly stopThemeWatch: () => void;
  private base: GanttAnswer | null = null;
  private highlight: GanttAnswer | null = null;
  private highlightFor: string | null = null;
  /** The base answer's lanes by GUID (for placing highlighted tasks), and whose they are. */
  private lanes: LaneIndex | null = null;
  private lanesOf: GanttAnswer | null = null;
  private chain: TaskInfo[] = [];
  private baseTicket = 0;
  private highlightTicket = 0;
  private hoverTicket = 0;
  private hoverTimer = 0;
  private frame = 0;
  private redraws = 0;
  /** When the redraw now awaited was asked for (the first draw counts as one). */
  private pendingRedraw: number | null = performance.now();
  private pendingHighlight: number | null = null;
  private dragFrom: { x: number; y: number; last: number; moved: boolean } | null = null;
}
