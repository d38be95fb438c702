/**
 * The Traces section of the side panel: every stored trace (cells, jobs, imports) with its
 * notebook, cell and function; open, rename, delete, download and compare two.
 *
 * It polls GET /jetlag/api/traces every second so a cell's trace shows up right after the
 * cell finishes, and redraws only when the list changed.
 */
import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { TraceSummary, basename, formatNs } from './apiTypes';
import { plural } from './model/format';
import { activateOnKeys, button, el } from './dom';
import { RefreshLoop } from './poller';
import { errorMessage, requestAPI, requestRaw } from './requestAPI';

const POLL_MS = 1000;

export class TracesSection extends Widget {
  private traces: TraceSummary[] = [];
  private lastText = '';
  private readonly checked = new Set<string>();
  private readonly list: HTMLUListElement;
  private readonly status: HTMLDivElement;
  private readonly compareButton: HTMLButtonElement;
  private readonly loop: RefreshLoop;

  constructor(private readonly commands: CommandRegistry) {
    super();
    this.addClass('jp-JetLag-section');
    this.addClass('jp-JetLag-traces');
    this.list = el('ul', { className: 'jp-JetLag-list', role: 'listbox', 'aria-label': 'Traces' });
    this.status = el('div', { className: 'jp-JetLag-status', role: 'alert' });
    this.compareButton = button(
      'Compare',
      'Compare the two checked traces',
      () => void this.compare(),
      'jp-JetLag-compare'
    );
    this.compareButton.disabled = true;
    const header = el(
      'div',
      { className: 'jp-JetLag-sectionHeader' },
      el('h3', {}, 'Traces'),
      this.compareButton,
      button('↻', 'Reload the traces', () => void this.loop.refresh())
    );
    this.node.append(header, this.status, this.list);
    this.loop = new RefreshLoop(
      () => this.fetch(),
      () => POLL_MS
    );
  }

  protected onAfterAttach(): void {
    this.loop.start();
  }

  protected onBeforeDetach(): void {
    this.loop.stop();
  }

  dispose(): void {
    this.loop.stop();
    super.dispose();
  }

  /** Reloads the traces now. */
  refresh(): Promise<void> {
    return this.loop.refresh();
  }

  private showError(message: string): void {
    this.status.textContent = message;
    this.status.classList.toggle('jp-JetLag-error', message !== '');
  }

  private async fetch(): Promise<void> {
    try {
      const answer = await requestAPI<{ traces: TraceSummary[] }>('traces?limit=100');
      const text = JSON.stringify(answer.traces);
      if (text !== this.lastText) {
        this.lastText = text;
        this.traces = answer.traces;
        for (const id of Array.from(this.checked)) {
          if (!this.traces.some(t => t.id === id)) {
            this.checked.delete(id);
          }
        }
        this.render();
      }
    } catch (error) {
      this.showError(errorMessage(error));
    }
  }

  private render(): void {
    const active = document.activeElement as HTMLElement | null;
    const focusedId = active?.closest<HTMLElement>('[data-trace-id]')?.dataset.traceId ?? null;
    const focusedAction = active?.dataset?.action ?? null;
    this.list.replaceChildren(...this.traces.map(trace => this.item(trace)));
    if (focusedId && this.node.contains(active) === false) {
      const item = this.list.querySelector<HTMLElement>(`li[data-trace-id="${focusedId}"]`);
      const target = focusedAction
        ? item?.querySelector<HTMLElement>(`[data-action="${focusedAction}"]`)
        : item;
      target?.focus();
    }
    this.compareButton.disabled = this.checked.size !== 2;
  }

  private item(trace: TraceSummary): HTMLLIElement {
    const name = trace.label || trace.function || trace.id;
    const where = [
      trace.notebook ? basename(trace.notebook) : null,
      trace.cell,
      trace.function && trace.label ? trace.function : null
    ].filter(Boolean);
    const check = el('input', {
      type: 'checkbox',
      className: 'jp-JetLag-check',
      'aria-label': `Select ${name} for comparison`,
      'data-action': 'check',
      checked: this.checked.has(trace.id)
    });
    check.addEventListener('click', event => event.stopPropagation());
    check.addEventListener('change', () => {
      if (check.checked) {
        this.checked.add(trace.id);
      } else {
        this.checked.delete(trace.id);
      }
      this.compareButton.disabled = this.checked.size !== 2;
    });
    const open = () =>
      void this.commands.execute('jetlag:open-trace', { traceId: trace.id, label: name });
    const actions = el(
      'div',
      { className: 'jp-JetLag-actions' },
      this.action('Open', 'Open the trace view', open),
      this.action('Rename', 'Change the label', () => void this.rename(trace)),
      this.action('Download', 'Download a zip (OTF2, Chrome JSON, tree, profile, source)', () =>
        void this.download(trace)
      ),
      this.action('Delete', 'Delete this trace', () => void this.remove(trace))
    );
    const li = el(
      'li',
      {
        className: 'jp-JetLag-item jp-JetLag-trace',
        tabindex: 0,
        role: 'option',
        'aria-selected': 'false',
        'data-trace-id': trace.id,
        title: `${trace.id} (Enter opens it)`
      },
      el(
        'div',
        { className: 'jp-JetLag-row' },
        check,
        el('span', { className: 'jp-JetLag-name' }, name),
        el('span', { className: 'jp-JetLag-duration' }, formatNs(trace.duration_ns))
      ),
      el(
        'div',
        { className: 'jp-JetLag-detail jp-JetLag-where' },
        where.length > 0 ? where.join(' · ') : trace.id
      ),
      el(
        'div',
        { className: 'jp-JetLag-detail' },
        `${trace.origin}${trace.job_id ? ` ${trace.job_id}` : ''} · ` +
          `${plural(trace.events, 'event')} · ${plural(trace.locations, 'worker')}`
      ),
      actions
    );
    li.addEventListener('dblclick', open);
    activateOnKeys(li, open);
    return li;
  }

  private action(label: string, title: string, run: () => void): HTMLButtonElement {
    const node = button(label, title, run);
    node.dataset.action = label.toLowerCase();
    return node;
  }

  private async rename(trace: TraceSummary): Promise<void> {
    const answer = await InputDialog.getText({
      title: 'Rename the trace',
      label: 'Label',
      text: trace.label ?? trace.function ?? ''
    });
    if (!answer.button.accept || answer.value === null) {
      return;
    }
    try {
      await requestAPI(`traces/${encodeURIComponent(trace.id)}`, {
        method: 'PATCH',
        body: JSON.stringify({ label: answer.value }),
        headers: { 'Content-Type': 'application/json' }
      });
      this.showError('');
    } catch (error) {
      this.showError(errorMessage(error));
    }
    await this.loop.refresh();
  }

  private async remove(trace: TraceSummary): Promise<void> {
    const name = trace.label || trace.function || trace.id;
    const answer = await showDialog({
      title: 'Delete the trace?',
      body: `“${name}” (${trace.id}) will be deleted from the store.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      await requestAPI(`traces/${encodeURIComponent(trace.id)}`, { method: 'DELETE' });
      this.checked.delete(trace.id);
      this.showError('');
    } catch (error) {
      this.showError(errorMessage(error));
    }
    await this.loop.refresh();
  }

  private async download(trace: TraceSummary): Promise<void> {
    try {
      const response = await requestRaw(`traces/${encodeURIComponent(trace.id)}/download`);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = el('a', { href: url, download: `jetlag-trace-${trace.id}.zip` });
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10000);
      this.showError('');
    } catch (error) {
      this.showError(errorMessage(error));
    }
  }

  private async compare(): Promise<void> {
    const picked = this.traces.filter(t => this.checked.has(t.id));
    if (picked.length !== 2) {
      this.showError('Check exactly two traces to compare them.');
      return;
    }
    // The list is newest first: compare the newer one against the older one.
    const [newer, older] = picked;
    const name = (t: (typeof picked)[number]) => t.label || t.function || t.id;
    await this.commands.execute('jetlag:compare-traces', {
      a: older.id,
      b: newer.id,
      label: `${name(older)} vs ${name(newer)}`
    });
  }
}
