/**
 * The inline summary of a cell's trace: renders `application/vnd.jetlag.trace+json`
 * (kernel/publish.py) as wall time, tasks, top primitives, a utilization strip and an
 * "Open in JetLag" button. Without this renderer the output's text/plain line stays readable.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { formatNs } from './apiTypes';
import { button, el } from './dom';
import { errorMessage, requestAPI } from './requestAPI';

export const MIME_TYPE = 'application/vnd.jetlag.trace+json';

/** The payload fields this renderer reads (version 2 adds trace_id). */
interface TracePayload {
  version?: number;
  cell?: string;
  function?: string;
  /** What the trace is listed under: the functions a cell's run called (e.g. `lra`). */
  name?: string;
  calls?: number;
  wall_ns?: number;
  events?: number;
  events_dropped?: number;
  trace_id?: string | null;
  top?: { instance: string; primitive: string; count: number; inclusive_ns: number }[];
}

const STRIP_HEIGHT = 24;
const TOP_SHOWN = 5;
const STORE_WAIT_TRIES = 60;
const STORE_WAIT_MS = 500;

export class TraceSummaryRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(private readonly commands: CommandRegistry) {
    super();
    this.addClass('jp-JetLag-summary');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = (model.data[MIME_TYPE] ?? {}) as TracePayload;
    const name = data.name ?? data.function ?? 'compiled code';
    const head = el(
      'div',
      { className: 'jp-JetLag-summaryHead' },
      el('strong', {}, name),
      ` · ${formatNs(data.wall_ns ?? NaN)} · ${(data.events ?? 0).toLocaleString()} tasks` +
        (data.calls && data.calls > 1 ? ` · ${data.calls} calls (last shown)` : '') +
        (data.cell ? ` · ${data.cell}` : '')
    );
    const top = el('ol', { className: 'jp-JetLag-top' });
    const wall = data.wall_ns || 1;
    for (const entry of (data.top ?? []).slice(0, TOP_SHOWN)) {
      const share = Math.min(1, entry.inclusive_ns / wall);
      top.append(
        el(
          'li',
          {},
          el('span', { className: 'jp-JetLag-topName' }, entry.instance),
          el(
            'span',
            { className: 'jp-JetLag-bar' },
            el('span', { className: 'jp-JetLag-barFill', style: `width: ${(share * 100).toFixed(1)}%` })
          ),
          el('span', { className: 'jp-JetLag-topTime' }, `${formatNs(entry.inclusive_ns)} · ${entry.count}×`)
        )
      );
    }
    const strip = el('div', { className: 'jp-JetLag-strip', 'aria-label': 'Utilization' });
    const traceId = data.trace_id ?? null;
    const open = button(
      'Open in JetLag',
      traceId ? 'Open the trace view' : 'This trace was not saved in the store',
      () => void this.commands.execute('jetlag:open-trace', { traceId, label: name }),
      'jp-JetLag-open'
    );
    open.disabled = !traceId;
    this.node.replaceChildren(head, top, strip, el('div', { className: 'jp-JetLag-actions' }, open));
    if (traceId) {
      await this.drawStrip(strip, traceId);
    }
  }

  /**
   * Waits until the kernel has saved the trace (it saves while idle, just after the cell),
   * by looking for it in the listing, so no request for a trace not yet stored is made.
   */
  private async waitUntilStored(traceId: string): Promise<boolean> {
    for (let attempt = 0; attempt < STORE_WAIT_TRIES; attempt++) {
      const answer = await requestAPI<{ traces: { id: string }[] }>('traces?limit=50');
      if (answer.traces.some(t => t.id === traceId)) {
        return true;
      }
      if (this.isDisposed) {
        return false;
      }
      await new Promise(resolve => window.setTimeout(resolve, STORE_WAIT_MS));
    }
    return false;
  }

  private async drawStrip(strip: HTMLElement, traceId: string): Promise<void> {
    const width = Math.max(100, Math.min(600, Math.floor(this.node.clientWidth || 400)));
    try {
      if (!(await this.waitUntilStored(traceId))) {
        strip.replaceChildren(
          el('span', { className: 'jp-JetLag-detail' }, `trace ${traceId} is not in the store`)
        );
        return;
      }
      const answer = await requestAPI<any>(
        `traces/${encodeURIComponent(traceId)}/utilization?bins=${width}`
      );
      const values: number[] = answer?.total ?? answer?.utilization ?? [];
      const canvas = el('canvas', { width, height: STRIP_HEIGHT, className: 'jp-JetLag-stripCanvas' });
      const context = canvas.getContext('2d');
      if (context && values.length > 0) {
        const color =
          getComputedStyle(this.node).getPropertyValue('--jp-brand-color1').trim() || '#1976d2';
        context.fillStyle = color;
        const step = width / values.length;
        values.forEach((v, i) => {
          const h = Math.max(0, Math.min(1, Number(v) || 0)) * STRIP_HEIGHT;
          context.fillRect(i * step, STRIP_HEIGHT - h, Math.max(1, step), h);
        });
      }
      strip.replaceChildren(canvas);
    } catch (error) {
      strip.replaceChildren(el('span', { className: 'jp-JetLag-detail' }, errorMessage(error)));
    }
  }
}

/** The renderer factory, bound to the app's commands (for the button). */
export function traceRendererFactory(commands: CommandRegistry): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [MIME_TYPE],
    defaultRank: 50,
    createRenderer: () => new TraceSummaryRenderer(commands)
  };
}
