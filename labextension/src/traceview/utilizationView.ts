/**
 * The utilization chart (`/charts/utilization`, Vega-Lite via vega-embed): busy fraction
 * over the whole trace, in total and per worker. Its `brush` (x in ns) sets the shared
 * TimeWindow, so it is the overview that steers the Gantt and the counters. When a
 * primitive is selected its share lights up: `/utilization?primitive=` over the chart's
 * window fills the spec's `share` dataset in place (no new chart is embedded, which would
 * hold the page for a few hundred ms on a big trace).
 */
import { Panel, Widget } from '@lumino/widgets';

import { binMiddles, binsFor } from '../model/bins';
import { formatNs } from '../model/format';
import { SelectionModel, primitivesOfSelection } from '../model/selection';
import { TimeWindow } from '../model/timeWindow';
import { TraceApi, UtilizationAnswer, errorText } from './api';
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
      this.showWindow();
      void this.loadShare();
    }
  }

  /** Fill the chart's share dataset with the selected primitive's (empty for none). */
  private async loadShare(): Promise<void> {
    const window = this.window;
    const primitive = this.primitive;
    if (!window) {
      return; // the first chart is still on its way; it is fetched with the primitive
    }
    const ticket = ++this.shareTicket;
    let rows: ShareRow[] = [];
    if (primitive) {
      try {
        rows = shareRows(await this.api.utilization({ ...window, primitive }), primitive);
      } catch {
        rows = []; // a tree node without tasks (a define, a block): no share
      }
    }
    if (ticket === this.shareTicket) {
      await this.chart.setData(this.shareDataset, rows);
      this.markShare(primitive, rows);
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

  /** Say on the node which primitive's share is drawn and in how many bins it is busy. */
  private markShare(primitive: string | null, rows: ShareRow[]): void {
    this.node.dataset.share = primitive ?? '';
    this.node.dataset.shareBins = String(rows.filter(row => (row.busy ?? 0) > 0).length);
    const window = this.window;
    this.node.dataset.shareWindow = window ? `${window.begin}-${window.end}-${window.bins}` : '';
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
        ++this.shareTicket; // this spec carries the share of the primitive it was asked with
        const meta = (spec.usermeta as any)?.jetlag ?? {};
        this.window = meta.window ?? null;
        this.shareDataset = meta.share_dataset ?? 'share';
        await this.chart.draw(spec);
        this.showWindow();
        this.markShare(meta.primitive ?? null, (spec.datasets as any)?.[this.shareDataset] ?? []);
        if ((meta.primitive ?? null) !== this.primitive) {
          void this.loadShare(); // the selection changed while the chart was on its way
        }
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
  private window: { begin: number; end: number; bins: number } | null = null;
  private shareDataset = 'share';
  private shareTicket = 0;
  private ticket = 0;
  private loadedWidth = 0;
  private brushTimer = 0;
}

/** One row of the chart's share dataset (the fields of the server's utilization rows). */
export interface ShareRow {
  t_ns: number;
  kind: 'primitive';
  series: string;
  busy: number | null;
}

/** A `/utilization?primitive=` answer as share rows: bin middles and the total busy fraction. */
export function shareRows(answer: UtilizationAnswer, primitive: string): ShareRow[] {
  const middles = binMiddles(answer);
  return answer.total.map((busy, i) => ({
    t_ns: middles[i],
    kind: 'primitive',
    series: primitive,
    busy
  }));
}
