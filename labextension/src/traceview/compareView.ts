/**
 * Two traces side by side: the per-primitive differences of their profiles (`/compare`,
 * as a table, largest absolute difference first) and the server's compare chart
 * (`/compare/chart`, Vega-Lite via vega-embed). Clicking a row or a bar selects that
 * primitive in the shared SelectionModel of this view's trace (trace a).
 */
import { Panel, Widget } from '@lumino/widgets';

import { formatCount, formatNs, formatPlace } from '../model/format';
import { SelectionModel, primitivesOfSelection } from '../model/selection';
import { errorText, fetchComparison, fetchComparisonChart } from './api';
import { VegaChart, pointOf } from './vegaChart';

/** What the compare view needs. */
export interface CompareViewOptions {
  /** This view's trace (a). */
  traceId: string;
  /** The trace compared against (b). */
  compareWith: string;
  /** The shared selection. */
  selection: SelectionModel;
}

/** Rows of the difference table shown at most. */
const MAX_ROWS = 40;

/** One row of the `/compare` answer (the fields this view reads). */
interface ComparedRow {
  instance: string;
  display_name: string;
  a_count: number;
  b_count: number;
  a_inclusive_ns: number;
  b_inclusive_ns: number;
  diff_inclusive_ns: number;
  ratio_inclusive: number | null;
}

/** Profiles of two traces compared per primitive. */
export class CompareView extends Panel {
  /** A comparison of `traceId` (a) with `compareWith` (b). */
  constructor(options: CompareViewOptions) {
    super();
    this.options = options;
    this.addClass('jl-TraceView-compare');
    this.summary = new Widget();
    this.summary.addClass('jl-TraceView-caption');
    this.addWidget(this.summary);
    this.table = new Widget({ node: document.createElement('table') });
    this.table.addClass('jl-TraceView-compareTable');
    this.table.node.addEventListener('click', this.onClick);
    this.table.node.addEventListener('keydown', this.onKeyDown);
    this.addWidget(this.table);
    this.chart = new VegaChart('jl-TraceView-compareChart');
    this.chart.listen('primitive', (_name, value) => {
      const instance = pointOf(value, 'primitive');
      if (instance) {
        options.selection.selectPrimitive(instance);
      }
    });
    this.addWidget(this.chart);
    options.selection.changed.connect(this.mirror, this);
    void this.load();
  }

  /** Stop listening to the selection. */
  dispose(): void {
    this.options.selection.changed.disconnect(this.mirror, this);
    super.dispose();
  }

  private async load(): Promise<void> {
    const { traceId, compareWith } = this.options;
    try {
      const answer = await fetchComparison(traceId, compareWith);
      this.renderTable(answer);
    } catch (reason) {
      this.summary.node.textContent = `Comparison unavailable: ${errorText(reason)}`;
    }
    try {
      await this.chart.draw(await fetchComparisonChart(traceId, compareWith));
    } catch (reason) {
      this.chart.showMessage(`Compare chart unavailable: ${errorText(reason)}`);
    }
  }

  private renderTable(answer: any): void {
    const name = (side: any): string => String(side?.label || side?.function || side?.id || '?');
    const diff = Number(answer.duration_diff_ns ?? 0);
    this.summary.node.textContent =
      `a: ${name(answer.a)} — b: ${name(answer.b)}; wall time b − a: ${formatNs(diff)}` +
      ` (${answer.only_in_a ?? 0} primitives only in a, ${answer.only_in_b ?? 0} only in b)`;
    const rows: ComparedRow[] = (answer.rows ?? []).slice(0, MAX_ROWS);
    const head = document.createElement('tr');
    for (const title of ['primitive', 'count a', 'count b', 'inclusive a', 'inclusive b', 'b − a', 'b / a']) {
      const th = document.createElement('th');
      th.textContent = title;
      head.append(th);
    }
    const body = rows.map((row, index) => {
      const tr = document.createElement('tr');
      tr.dataset.instance = row.instance;
      tr.tabIndex = index === 0 ? 0 : -1;
      tr.className = row.diff_inclusive_ns > 0 ? 'jl-mod-slower' : 'jl-mod-faster';
      const cells = [
        formatPlace(row.instance),
        formatCount(row.a_count),
        formatCount(row.b_count),
        formatNs(row.a_inclusive_ns),
        formatNs(row.b_inclusive_ns),
        formatNs(row.diff_inclusive_ns),
        row.ratio_inclusive === null ? '—' : `${row.ratio_inclusive.toFixed(2)}×`
      ];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    this.table.node.replaceChildren(head, ...body);
    this.table.node.dataset.a = this.options.traceId;
    this.table.node.dataset.b = this.options.compareWith;
    this.table.node.dataset.rows = String(rows.length);
    this.mirror();
  }

  private readonly onClick = (event: MouseEvent): void => {
    const tr = (event.target as HTMLElement).closest<HTMLElement>('tr[data-instance]');
    if (tr?.dataset.instance) {
      this.options.selection.selectPrimitive(tr.dataset.instance);
    }
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    const tr = (event.target as HTMLElement).closest<HTMLElement>('tr[data-instance]');
    if (!tr) {
      return;
    }
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.options.selection.selectPrimitive(tr.dataset.instance ?? '');
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      const next = (event.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
      if (next?.dataset.instance) {
        event.preventDefault();
        tr.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    }
  };

  private mirror(): void {
    const chosen = new Set(primitivesOfSelection(this.options.selection.selection));
    for (const tr of this.table.node.querySelectorAll<HTMLElement>('tr[data-instance]')) {
      tr.classList.toggle('jl-mod-selected', chosen.has(tr.dataset.instance ?? ''));
    }
    void this.chart.selectPoint('primitive', 'primitive', [...chosen][0] ?? null);
  }

  private readonly options: CompareViewOptions;
  private readonly summary: Widget;
  private readonly table: Widget;
  private readonly chart: VegaChart;
}
