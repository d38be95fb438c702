/**
 * The sampled counters (CPU per worker, memory) over the shared time window, from
 * `/charts/counters` (Vega-Lite via vega-embed). It follows the TimeWindow: each pan or
 * zoom asks for the counters of the new window again (binned, a little later, so a
 * continuous drag costs one request at its end).
 */
import { Panel, Widget } from '@lumino/widgets';

import { binsFor } from '../model/bins';
import { TimeWindow } from '../model/timeWindow';
import { TraceApi, errorText } from './api';
import { VegaChart } from './vegaChart';

/** What the counters view needs. */
export interface CountersViewOptions {
  /** REST calls of the trace. */
  api: TraceApi;
  /** The shared window to follow. */
  timeWindow: TimeWindow;
  /** Counter names to show (all when absent). */
  names?: string[];
}

/** How long the window must rest before the counters are fetched again, ms. */
const SETTLE_MS = 150;
/** The server's counters chart is this many pixels wide per panel. */
const CHART_BINS = 600;

/** Counters of the visible window. */
export class CountersView extends Panel {
  /** A counters view for the given trace. */
  constructor(options: CountersViewOptions) {
    super();
    this.api = options.api;
    this.timeWindow = options.timeWindow;
    this.names = options.names;
    this.addClass('jl-TraceView-counters');
    const caption = new Widget();
    caption.addClass('jl-TraceView-caption');
    caption.node.textContent = 'Counters (CPU per worker, memory) in the window';
    this.addWidget(caption);
    this.chart = new VegaChart('jl-TraceView-countersChart');
    this.addWidget(this.chart);
    this.timeWindow.changed.connect(this.onWindow, this);
  }

  /** Stop following the window. */
  dispose(): void {
    this.timeWindow.changed.disconnect(this.onWindow, this);
    window.clearTimeout(this.timer);
    super.dispose();
  }

  /** Draw once attached. */
  protected onAfterAttach(): void {
    void this.load();
  }

  private onWindow(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.load(), SETTLE_MS);
  }

  private async load(): Promise<void> {
    const ticket = ++this.ticket;
    const { begin, end } = this.timeWindow;
    try {
      const spec = await this.api.chart('counters', {
        begin: Math.floor(begin),
        end: Math.ceil(end),
        bins: binsFor(Math.min(CHART_BINS, Math.max(50, this.node.clientWidth))),
        names: this.names && this.names.length ? this.names : undefined
      });
      if (ticket === this.ticket) {
        await this.chart.draw(spec);
      }
    } catch (reason) {
      if (ticket === this.ticket) {
        this.chart.showMessage(`Counters unavailable: ${errorText(reason)}`);
      }
    }
  }

  private readonly api: TraceApi;
  private readonly timeWindow: TimeWindow;
  private readonly names?: string[];
  private readonly chart: VegaChart;
  private timer = 0;
  private ticket = 0;
}
