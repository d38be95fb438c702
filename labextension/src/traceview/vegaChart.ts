/**
 * A widget that shows one server-built Vega-Lite spec with vega-embed and reports its
 * selection signals.
 *
 * It fetches nothing itself: owners hand it specs. It knows the two kinds of selection the
 * server's charts carry (an interval `brush` on x, a point selection over one field) and
 * turns their signal values into plain values; it draws no charts of its own (no D3).
 */
import { Widget } from '@lumino/widgets';
import embed, { Result } from 'vega-embed';

import { onThemeChange, themeKind } from '../dom';

/** A signal callback: the signal's name and its raw Vega value. */
export type SignalHandler = (name: string, value: unknown) => void;

/** Colours of the current JupyterLab theme, read from its --jp-* CSS variables. */
export function themeColors(): { text: string; grid: string; background: string; dark: boolean } {
  const style = getComputedStyle(document.body);
  const read = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;
  const dark = document.body.dataset.jpThemeLight === 'false';
  return {
    text: read('--jp-ui-font-color1', dark ? '#e0e0e0' : '#212121'),
    grid: read('--jp-border-color2', dark ? '#444' : '#ddd'),
    background: read('--jp-layout-color1', dark ? '#111' : '#fff'),
    dark
  };
}

/** The [low, high] of an interval selection's signal value (`{field: [a, b]}`), or null. */
export function intervalOf(value: unknown): [number, number] | null {
  if (value === null || typeof value !== 'object') {
    return null;
  }
  for (const range of Object.values(value as Record<string, unknown>)) {
    if (Array.isArray(range) && range.length === 2) {
      const [a, b] = range.map(Number);
      if (Number.isFinite(a) && Number.isFinite(b) && a !== b) {
        return a < b ? [a, b] : [b, a];
      }
    }
  }
  return null;
}

/** The first value of a point selection's signal value (`{field: [v]}`), or null. */
export function pointOf(value: unknown, field: string): string | null {
  if (value === null || typeof value !== 'object') {
    return null;
  }
  const values = (value as Record<string, unknown>)[field];
  if (Array.isArray(values) && values.length > 0 && values[0] !== null) {
    return String(values[0]);
  }
  return null;
}

/** One embedded Vega-Lite chart; re-renders when given a new spec. */
export class VegaChart extends Widget {
  /** An empty chart; `draw(spec)` draws one. */
  constructor(className: string) {
    super();
    this.addClass('jl-TraceView-chart');
    this.addClass(className);
    this.node.tabIndex = 0;
    this.stopThemeWatch = onThemeChange(() => {
      if (this.spec && this.result) {
        void this.draw(this.spec); // axis and legend colours come from the theme
      }
    });
  }

  /** The live Vega view, or null before the first render. */
  get view(): Result['view'] | null {
    return this.result?.view ?? null;
  }

  /** Listen to a signal of every spec this chart shows (kept across re-renders). */
  listen(signal: string, handler: SignalHandler): void {
    this.handlers.push({ signal, handler });
    this.attach(signal, handler);
  }

  /** Draw `spec` (its data inline), replacing the previous chart; resolves when drawn. */
  async draw(spec: Record<string, unknown>): Promise<void> {
    this.spec = spec;
    const colors = themeColors();
    const config = {
      background: 'transparent',
      axis: { labelColor: colors.text, titleColor: colors.text, gridColor: colors.grid },
      legend: { labelColor: colors.text, titleColor: colors.text },
      title: { color: colors.text },
      view: { stroke: colors.grid }
    };
    const token = ++this.generation;
    const host = document.createElement('div');
    host.className = 'jl-TraceView-chartBody';
    // Embed into the attached node: a spec with `width: "container"` measures its
    // container once, and a detached one is 0 px wide.
    this.node.replaceChildren(host);
    const result = await embed(host, spec as any, {
      actions: false,
      renderer: 'canvas',
      config: config as any,
      tooltip: { theme: colors.dark ? 'dark' : 'light' }
    });
    if (token !== this.generation || this.isDisposed) {
      result.finalize();
      return;
    }
    this.result?.finalize();
    this.result = result;
    this.units.clear();
    this.node.dataset.theme = themeKind();
    this.fitWidth();
    for (const { signal, handler } of this.handlers) {
      this.attach(signal, handler);
    }
  }

  /** Follow the split panels: a container-wide chart takes the new width. */
  protected onResize(): void {
    this.fitWidth();
  }

  /** Re-measure when shown again (a hidden tab measures 0). */
  protected onAfterShow(): void {
    this.fitWidth();
  }

  /** Give a `width: "container"` chart (vega-embed marks it `fit-x`) its host's width. */
  private fitWidth(): void {
    const host = this.node.firstElementChild as HTMLElement | null;
    const view = this.result?.view;
    if (!view || !host?.classList.contains('fit-x') || host.clientWidth === 0) {
      return;
    }
    if (view.width() !== host.clientWidth) {
      view.width(host.clientWidth);
      void view.runAsync().catch(() => undefined);
    }
  }

  /** Show a line of text instead of a chart (an error, or "no data"). */
  showMessage(text: string): void {
    ++this.generation;
    this.result?.finalize();
    this.result = null;
    const message = document.createElement('div');
    message.className = 'jl-TraceView-message';
    message.textContent = text;
    this.node.replaceChildren(message);
  }

  /** Set a signal's value without echoing it back to this chart's listeners. */
  async setSignal(name: string, value: unknown): Promise<void> {
    const view = this.view;
    if (!view) {
      return;
    }
    this.muted = true;
    try {
      view.signal(name, value as any);
      await view.runAsync();
    } catch {
      // The spec has no such signal: nothing to mirror.
    } finally {
      this.muted = false;
    }
  }

  /** Replace a named dataset (e.g. a selection's `_store`) and re-run the view. */
  async setData(name: string, rows: unknown[]): Promise<void> {
    const view = this.view;
    if (!view) {
      return;
    }
    this.muted = true;
    try {
      view.data(name, rows as any[]);
      await view.runAsync();
    } catch {
      // No such dataset in this spec.
    } finally {
      this.muted = false;
    }
  }

  /**
   * Set a point selection `param` over `field` to `value` (null clears it), as if the
   * user had clicked, without echoing it to this chart's listeners.
   */
  async selectPoint(param: string, field: string, value: string | null): Promise<void> {
    if (!this.result) {
      return;
    }
    let unit = this.units.get(param);
    if (unit === undefined) {
      // Found once per chart: the compiled spec of a big tree is long to serialize.
      const compiled = JSON.stringify(this.result.vgSpec);
      const found = new RegExp(`unit: \\\\"([^\\\\"]*)\\\\", fields: ${param}_tuple_fields`).exec(compiled);
      unit = found ? found[1] : '';
      this.units.set(param, unit);
    }
    const rows =
      value === null ? [] : [{ unit, fields: [{ type: 'E', field }], values: [value] }];
    await this.setData(`${param}_store`, rows);
  }

  /** Release the Vega view. */
  dispose(): void {
    this.stopThemeWatch();
    this.result?.finalize();
    this.result = null;
    super.dispose();
  }

  private attach(signal: string, handler: SignalHandler): void {
    const view = this.view;
    if (!view) {
      return;
    }
    try {
      view.addSignalListener(signal, (name: string, value: unknown) => {
        if (!this.muted) {
          handler(name, value);
        }
      });
    } catch {
      // The current spec lacks this signal (e.g. a chart without a selection).
    }
  }

  private result: Result | null = null;
  private spec: Record<string, unknown> | null = null;
  private readonly stopThemeWatch: () => void;
  private handlers: { signal: string; handler: SignalHandler }[] = [];
  /** The unit name of each point selection param in the current chart. */
  private units = new Map<string, string>();
  private generation = 0;
  private muted = false;
}
