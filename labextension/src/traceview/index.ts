/**
 * The trace view: one main-area tab per trace with Traveler's linked views — execution
 * tree, source and PhySL, selection box, Gantt chart, utilization and counters, and the
 * comparison when a second trace is given — in resizable split panels.
 *
 * The views share one SelectionModel and one TimeWindow (../model) and never call each
 * other: a click writes the model, every view redraws on its `changed` signal. The tab
 * remembers its window, selection, split sizes and colour mode (viewState.ts) for the
 * next time the same trace is opened. Escape clears the selection. A running job's trace
 * is live: the tab asks for it again every few seconds and builds its views again for each
 * new revision (../model/liveTrace.ts), under the ones on screen, which it replaces once
 * the new ones have drawn (drawn.ts): the Gantt grows until the final trace arrives, and
 * no pane goes blank in between.
 */
import { BoxPanel, SplitPanel, StackedPanel, Widget } from '@lumino/widgets';

import { plural } from '../model/format';
import { LiveFollower, liveInfo } from '../model/liveTrace';
import { SelectionModel, Selection } from '../model/selection';
import { TimeWindow } from '../model/timeWindow';
import { MetadataAnswer, TraceApi, errorText } from './api';
import { CompareView } from './compareView';
import { CountersView } from './countersView';
import { whenDrawn } from './drawn';
import { GanttView } from './ganttView';
import { SelectionInfo } from './selectionInfo';
import { SourceView } from './sourceView';
import { ColorMode, TreeView } from './treeView';
import { UtilizationView } from './utilizationView';
import { TraceViewMemory, recall, remember } from './viewState';

/** How a trace view is opened. */
export interface TraceViewOptions {
  /** The trace's id in the store. */
  traceId: string;
  /** The tab's label (the trace's label or function when absent). */
  label?: string;
  /** A second trace to compare with (trace b). */
  compareWith?: string;
}

/** How often a live trace (a running job's) is asked for again. */
const LIVE_INTERVAL_MS = 3000;

/** The class of a live trace's next views while they draw beneath the ones shown. */
const DRAWING_CLASS = 'jl-TraceView-drawing';

/** Counters shown by default: CPU per thread and the process's memory. */
const COUNTER_PREFIXES = ['cpu/', 'memory/'];

/** A main-area tab with the linked views of one trace. */
export class TraceView extends BoxPanel {
  /** A trace view; it loads the trace's metadata and then builds its views. */
  constructor(options: TraceViewOptions) {
    super({ direction: 'top-to-bottom', spacing: 0 });
    this.options = options;
    this.api = new TraceApi(options.traceId);
    this.memory = recall(this.memoryId);
    this.id = `jetlag-traceview-${options.traceId}${options.compareWith ? `-vs-${options.compareWith}` : ''}`;
    this.addClass('jl-TraceView');
    this.node.dataset.traceId = options.traceId;
    this.node.tabIndex = -1;
    this.title.label = options.label ?? `Trace ${options.traceId}`;
    this.title.caption = `JetLag trace ${options.traceId}` +
      (options.compareWith ? ` compared with ${options.compareWith}` : '');
    this.title.closable = true;
    this.header = new Widget();
    this.header.addClass('jl-TraceView-header');
    this.header.node.textContent = 'Loading the trace…';
    this.addWidget(this.header);
    BoxPanel.setStretch(this.header, 0);
    // The views' panel; a live trace's next revision is built beneath the one shown.
    this.body = new StackedPanel();
    this.body.addClass('jl-TraceView-body');
    this.addWidget(this.body);
    BoxPanel.setStretch(this.body, 1);
    this.node.addEventListener('keydown', this.onKeyDown);
    void this.build();
  }

  /** The shared selection (null until the trace's metadata arrived). */
  get selection(): SelectionModel | null {
    return this.selectionModel;
  }

  /** The shared time window (null until the trace's metadata arrived). */
  get timeWindow(): TimeWindow | null {
    return this.window;
  }

  /** Save the state one last time and release the models. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.saveSplits();
    this.follower?.stop();
    this.selectionModel?.dispose();
    this.window?.dispose();
    super.dispose();
  }

  private get memoryId(): string {
    const { traceId, compareWith } = this.options;
    return compareWith ? `${traceId}:${compareWith}` : traceId;
  }

  private async build(): Promise<void> {
    let metadata: MetadataAnswer;
    try {
      metadata = await this.api.metadata();
    } catch (reason) {
      this.header.node.textContent = `Cannot open trace ${this.options.traceId}: ${errorText(reason)}`;
      this.node.dataset.state = 'error';
      return;
    }
    if (this.isDisposed) {
      return;
    }
    const total = Math.max(1, metadata.span_ns[1]);
    const timeWindow = new TimeWindow(total, { initial: this.memory.window });
    const selection = new SelectionModel();
    this.window = timeWindow;
    this.selectionModel = selection;
    this.header.node.replaceChildren(...this.headerParts(metadata));
    this.shown = this.main = this.buildViews(metadata);
    this.body.addWidget(this.main);
    this.restoreSelection(selection, this.memory.selection);
    timeWindow.changed.connect(() => remember(this.memoryId, { window: timeWindow.toJSON() }));
    selection.changed.connect((_, change) => {
      remember(this.memoryId, { selection: change.current as unknown as Record<string, unknown> });
      this.node.dataset.selection = change.current.kind;
    });
    this.node.dataset.state = 'ready';
    this.follow(metadata);
  }

  /** Follow a live trace: each new revision rebuilds the views on the same models. */
  private follow(metadata: MetadataAnswer): void {
    const info = liveInfo(metadata.meta);
    this.node.dataset.live = String(info.live);
    if (!info.live) {
      return;
    }
    this.follower = new LiveFollower<MetadataAnswer>(
      {
        fetch: () => this.api.metadata(),
        info: answer => liveInfo(answer.meta),
        changed: answer => this.grow(answer),
        intervalMs: LIVE_INTERVAL_MS
      },
      info
    );
  }

  private grow(metadata: MetadataAnswer): void {
    const timeWindow = this.window;
    if (this.isDisposed || !timeWindow) {
      return;
    }
    // The views read the locations and documents once: they are built again, on the
    // same window and selection; a window showing the whole trace keeps showing it.
    const whole = timeWindow.isWhole;
    this.saveSplits();
    this.memory = recall(this.memoryId);
    this.splits.clear();
    if (this.main !== this.shown) {
      this.main?.dispose(); // a revision that never got on screen: the newer one replaces it
    }
    timeWindow.setTotal(Math.max(1, metadata.span_ns[1]));
    if (whole) {
      timeWindow.reset();
    }
    const main = this.buildViews(metadata);
    this.main = main;
    main.addClass(DRAWING_CLASS); // beneath the views on screen until it has drawn
    this.body.addWidget(main);
    void whenDrawn(main.node).then(() => {
      if (this.isDisposed || this.main !== main) {
        return;
      }
      main.removeClass(DRAWING_CLASS);
      this.shown?.dispose();
      this.shown = main;
      this.header.node.replaceChildren(...this.headerParts(metadata));
      const info = liveInfo(metadata.meta);
      this.node.dataset.live = String(info.live);
      this.node.dataset.revision = String(info.revision);
    });
  }

  private headerParts(metadata: MetadataAnswer): HTMLElement[] {
    const meta = (metadata.meta ?? {}) as Record<string, unknown>;
    const title = document.createElement('span');
    title.className = 'jl-TraceView-title';
    const name = String(meta.label || meta.function || this.options.traceId);
    if (!this.options.label) {
      this.title.label = this.options.compareWith ? `${name} (compare)` : name;
    }
    title.textContent =
      `${name} — ${plural(metadata.events, 'event')} on ` +
      `${plural(metadata.locations.length, 'worker')}` +
      (liveInfo(metadata.meta).live ? ' (live: the job is running)' : '');
    const hint = document.createElement('span');
    hint.className = 'jl-TraceView-hint';
    hint.textContent = 'Wheel: zoom · drag: pan · click: select · Escape: clear';
    const reset = document.createElement('button');
    reset.className = 'jp-Button jl-TraceView-reset';
    reset.textContent = 'Whole trace';
    reset.addEventListener('click', () => this.window?.reset());
    return [title, hint, reset];
  }

  private buildViews(metadata: MetadataAnswer): SplitPanel {
    const selection = this.selectionModel as SelectionModel;
    const timeWindow = this.window as TimeWindow;
    const api = this.api;
    const counterNames = (metadata as unknown as { counters?: { name: string }[] }).counters
      ?.map(c => c.name)
      .filter(n => COUNTER_PREFIXES.some(prefix => n.startsWith(prefix)));

    const tree = new TreeView({
      api,
      selection,
      compareWith: this.options.compareWith,
      colorMode: this.memory.colorMode as ColorMode | undefined,
      onColorMode: mode => remember(this.memoryId, { colorMode: mode })
    });
    const source = new SourceView({ api, selection });
    const info = new SelectionInfo({ api, selection });
    const gantt = new GanttView({ api, locations: metadata.locations, timeWindow, selection });
    const utilization = new UtilizationView({ api, timeWindow, selection });
    const counters = new CountersView({ api, timeWindow, names: counterNames });

    const top = this.split('top', 'horizontal', [tree, source, info], [0.4, 0.35, 0.25]);
    const bottom = this.split('bottom', 'horizontal', [utilization, counters], [0.5, 0.5]);
    const middle: Widget[] = [top, gantt, bottom];
    const sizes = [0.35, 0.35, 0.3];
    if (this.options.compareWith) {
      middle.push(
        new CompareView({ traceId: this.options.traceId, compareWith: this.options.compareWith, selection })
      );
      sizes.splice(0, sizes.length, 0.3, 0.25, 0.2, 0.25);
    }
    return this.split('main', 'vertical', middle, sizes);
  }

  private split(name: string, orientation: SplitPanel.Orientation, widgets: Widget[], sizes: number[]): SplitPanel {
    const panel = new SplitPanel({ orientation, spacing: 4 });
    panel.addClass(`jl-TraceView-split-${name}`);
    widgets.forEach(widget => panel.addWidget(widget));
    const saved = this.memory.splits?.[name];
    panel.setRelativeSizes(saved && saved.length === widgets.length ? saved : sizes);
    panel.handleMoved.connect(() => this.saveSplits());
    this.splits.set(name, panel);
    return panel;
  }

  private saveSplits(): void {
    if (!this.splits.size) {
      return;
    }
    const splits: TraceViewMemory['splits'] = {};
    for (const [name, panel] of this.splits) {
      splits[name] = panel.relativeSizes();
    }
    remember(this.memoryId, { splits });
  }

  private restoreSelection(selection: SelectionModel, saved: Record<string, unknown> | undefined): void {
    const kind = saved?.kind;
    if (kind === 'primitive' || kind === 'task' || kind === 'line') {
      try {
        selection.select(saved as unknown as Selection);
        this.node.dataset.selection = kind;
      } catch {
        // A damaged memory: start with nothing selected.
      }
    }
  }

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape' && this.selectionModel && !this.selectionModel.isEmpty) {
      event.preventDefault();
      event.stopPropagation();
      this.selectionModel.clear();
    }
  };

  private readonly options: TraceViewOptions;
  private readonly api: TraceApi;
  private memory: TraceViewMemory;
  private readonly header: Widget;
  private readonly splits = new Map<string, SplitPanel>();
  private selectionModel: SelectionModel | null = null;
  private window: TimeWindow | null = null;
  private readonly body: StackedPanel;
  /** The newest views, and the ones on screen (older while the newest are drawing). */
  private main: SplitPanel | null = null;
  private shown: SplitPanel | null = null;
  private follower: LiveFollower<MetadataAnswer> | null = null;
}
