/**
 * The utilization chart (`/charts/utilization`, Vega-Lite via vega-embed): busy fraction
 * over the whole trace, in total and per worker. Its `brush` (x in ns) sets the shared
 * TimeWindow, so it is the overview that steers the Gantt and the counters; when a
 * primitive is selected the chart is fetched again with `primitive=` so its share lights up.
 */
import { Panel, Widget } from '@lumino/widgets';

import { binsFor } from '../model/bins';
import { formatNs } from '../model/format';
import { SelectionModel, primitivesOfSelection } from '../model/selection';
import { TimeWindow } from '../model/timeWindow';
import { TraceApi, errorText } from './api';
import { VegaChart, intervalOf } from './vegaChart';

/** What the utilization view needs. */
export interface UtilizationViewOptions {
  /** REST calls of the trace. */
  api: TraceApi;
  /** The shared window the brush sets. */
  timeWindow: TimeWindow;
  /** The shared selection (its primitive's share is drawn). */
  selection: SelectionModel;
}

/** The utilization overview with a brush. */
export class UtilizationView extends Panel {
  /** A utilization chart for the given trace. */
  constructor(options: UtilizationViewOptions) {
    super();
    this.api = options.api;
    this.timeWindow = options.timeWindow;
    this.selection = options.selection;
    this.addClass('jl-TraceView-utilization');
    this.caption = new Widget();
    this.caption.addClass('jl-TraceView-caption');
    this.addWidget(this.caption);
    this.chart = new VegaChart('jl-TraceView-utilizationChart');
    this.chart.listen('brush', (_name, value) => this.onBrush(value));
    this.addWidget(this.chart);
    this.selection.changed.connect(this.onSelection, this);
    this.timeWindow.changed.connect(this.showWindow, this);
    this.showWindow();
  }

  /** Stop listening to the models. */
  dispose(): void {
    this.selection.changed.disconnect(this.onSelection, this);
    this.timeWindow.changed.disconnect(this.showWindow, this);
    window.clearTimeout(this.brushTimer);
    super.dispose();
  }

  /** Draw when first shown with a size. */
  protected onAfterAttach(): void {
    void this.load();
  }

  /** Fetch again at the new width (one bin per pixel). */
  protected onResize(message: Widget.ResizeMessage): void {
    const width = message.width > 0 ? message.width : this.node.clientWidth;
    if (Math.abs(width - this.loadedWidth) > 40) {
      void this.load();
    }
  }

  private onSelection(): void {
    const primitive = primitivesOfSelection(this.selection.selection)[0] ?? null;
    if (primitive !== this.primitive) {
      this.primitive = primitive;
      void this.load();
    }
  }

  private onBrush(value: unknown): void {
    const range = intervalOf(value);
    if (!range) {
      return; // a cleared brush leaves the window where it is
    }
    window.clearTimeout(this.brushTimer);
    this.brushTimer = window.setTimeout(() => this.timeWindow.set(range[0], range[1]), 30);
  }

  private showWindow(): void {
    const { begin, end } = this.timeWindow;
    const share = this.primitive ? `; orange: ${this.primitive}` : '';
    this.caption.node.textContent =
      `Utilization — window ${formatNs(begin)} to ${formatNs(end)} ` +
      `(drag on the chart to set it)${share}`;
  }

  private async load(): Promise<void> {
    const width = Math.max(100, this.node.clientWidth - 80);
    this.loadedWidth = this.node.clientWidth;
    const ticket = ++this.ticket;
    try {
      const spec = await this.api.chart('utilization', {
        bins: binsFor(width),
        primitive: this.primitive ?? undefined
      });
      if (ticket === this.ticket) {
        await this.chart.draw(spec);
        this.showWindow();
      }
    } catch (reason) {
      if (ticket !== this.ticket) {
        return;
      }
      if (this.primitive) {
        // A tree node without tasks (a define, a block): show the chart without a share.
        this.primitive = null;
        void this.load();
        return;
      }
      this.chart.showMessage(`Utilization chart unavailable: ${errorText(reason)}`);
    }
  }

  private readonly api: TraceApi;
  private readonly timeWindow: TimeWindow;
  private readonly selection: SelectionModel;
  private readonly chart: VegaChart;
  private readonly caption: Widget;
  private primitive: string | null = null;
  private ticket = 0;
  private loadedWidth = 0;
  private brushTimer = 0;
}
