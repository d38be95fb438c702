/**
 * The Jobs section of the side panel: jobs with their live state, submit, cancel, result
 * preview, stdout/stderr and the job's trace.
 *
 * It polls GET /jetlag/api/jobs every second while a job is active (every 5 s otherwise) and
 * redraws only what changed; errors are shown as the server words them.
 */
import { CommandRegistry } from '@lumino/commands';
import { Kernel } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';
import { Job, formatElapsed, isActive, jobElapsed } from './apiTypes';
import { activateOnKeys, button, el } from './dom';
import { submitJobDialog } from './jobSubmitDialog';
import { readNamespace } from './kernelProbe';
import { MachinesSection } from './machinesSection';
import { RefreshLoop } from './poller';
import { errorMessage, requestAPI, requestText, sendJSON } from './requestAPI';

/** Where the submit button finds the current notebook's kernel. */
export type KernelSource = () => Kernel.IKernelConnection | null;

const FAST_MS = 1000;
const SLOW_MS = 5000;

export class JobsSection extends Widget {
  private jobs: Job[] = [];
  private lastText = '';
  private selected: string | null = null;
  private readonly list: HTMLUListElement;
  private readonly status: HTMLDivElement;
  private readonly details: HTMLDivElement;
  private readonly loop: RefreshLoop;
  private clock: number | null = null;

  constructor(
    private readonly commands: CommandRegistry,
    private readonly machines: MachinesSection,
    private readonly kernelSource: KernelSource
  ) {
    super();
    this.addClass('jp-JetLag-section');
    this.addClass('jp-JetLag-jobs');
    this.list = el('ul', { className: 'jp-JetLag-list', role: 'listbox', 'aria-label': 'Jobs' });
    this.status = el('div', { className: 'jp-JetLag-status', role: 'alert' });
    this.details = el('div', { className: 'jp-JetLag-details', 'aria-live': 'polite' });
    const header = el(
      'div',
      { className: 'jp-JetLag-sectionHeader' },
      el('h3', {}, 'Jobs'),
      button('Submit…', 'Submit a function of the current notebook as a job', () =>
        void this.submit()
      , 'jp-JetLag-submit'),
      button('↻', 'Reload the jobs', () => void this.loop.refresh())
    );
    this.node.append(header, this.status, this.list, this.details);
    this.loop = new RefreshLoop(
      () => this.fetch(),
      () => (this.jobs.some(isActive) ? FAST_MS : SLOW_MS)
    );
  }

  protected onAfterAttach(): void {
    this.loop.start();
    this.clock = window.setInterval(() => this.tickElapsed(), 1000);
  }

  protected onBeforeDetach(): void {
    this.loop.stop();
    if (this.clock !== null) {
      window.clearInterval(this.clock);
      this.clock = null;
    }
  }

  dispose(): void {
    this.loop.stop();
    if (this.clock !== null) {
      window.clearInterval(this.clock);
    }
    super.dispose();
  }

  /** Reloads the jobs now. */
  refresh(): Promise<void> {
    return this.loop.refresh();
  }

  /** A running job's trace so far (the server says when no events came home yet). */
  private async openLiveTrace(job: Job): Promise<void> {
    this.showError('');
    try {
      const answer = await requestAPI<{ trace_id: string }>(
        `jobs/${encodeURIComponent(job.id)}/trace`
      );
      await this.commands.execute('jetlag:open-trace', {
        traceId: answer.trace_id,
        label: job.label || job.entry
      });
    } catch (error) {
      this.showError(errorMessage(error));
    }
  }

  private showError(message: string): void {
    this.status.textContent = message;
    this.status.classList.toggle('jp-JetLag-error', message !== '');
  }

  private async fetch(): Promise<void> {
    try {
      const answer = await requestAPI<{ jobs: Job[] }>('jobs?limit=50');
      const text = JSON.stringify(answer.jobs);
      if (text !== this.lastText) {
        this.lastText = text;
        this.jobs = answer.jobs;
        this.render();
      }
    } catch (error) {
      this.showError(errorMessage(error));
    }
  }

  private async submit(): Promise<void> {
    this.showError('');
    const kernel = this.kernelSource();
    if (!kernel) {
      this.showError('Open a notebook with the PhySL kernel first: a job runs one of its functions.');
      return;
    }
    try {
      const [machines, namespace] = await Promise.all([
        this.machines.refresh(),
        readNamespace(kernel)
      ]);
      if (namespace.functions.length === 0) {
        this.showError(
          'The current notebook has no compiled function yet: define one in a cell and run it.'
        );
        return;
      }
      const job = await submitJobDialog(kernel, machines, namespace);
      if (job) {
        this.selected = job.id;
        await this.loop.refresh();
        this.renderDetails();
      }
    } catch (error) {
      this.showError(errorMessage(error));
    }
  }

  private elapsedText(job: Job): string {
    const seconds = jobElapsed(job);
    return seconds === null ? '' : formatElapsed(seconds);
  }

  private tickElapsed(): void {
    for (const node of Array.from(this.list.querySelectorAll<HTMLElement>('[data-elapsed]'))) {
      const job = this.jobs.find(j => j.id === node.dataset.elapsed);
      if (job && isActive(job)) {
        node.textContent = this.elapsedText(job);
      }
    }
  }

  private render(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.jobId ?? null;
    this.list.replaceChildren(...this.jobs.map(job => this.item(job)));
    if (focused) {
      this.list.querySelector<HTMLElement>(`li[data-job-id="${focused}"]`)?.focus();
    }
    this.renderDetails();
  }

  private item(job: Job): HTMLLIElement {
    const state = job.state.toLowerCase();
    const li = el(
      'li',
      {
        className: `jp-JetLag-item jp-JetLag-job jp-JetLag-state-${state}`,
        tabindex: 0,
        role: 'option',
        'aria-selected': job.id === this.selected ? 'true' : 'false',
        'data-job-id': job.id,
        'data-state': job.state,
        title: job.reason ?? job.id
      },
      el(
        'div',
        { className: 'jp-JetLag-row' },
        el('span', { className: 'jp-JetLag-name' }, job.label || job.entry),
        el('span', { className: `jp-JetLag-badge jp-JetLag-badge-${state}` }, job.state),
        el('span', { className: 'jp-JetLag-elapsed', 'data-elapsed': job.id }, this.elapsedText(job))
      ),
      el('div', { className: 'jp-JetLag-detail' }, `${job.machine} · ${job.id}`),
      job.reason && !isActive(job)
        ? el('div', { className: 'jp-JetLag-detail jp-JetLag-reason' }, job.reason)
        : null
    );
    const actions = el('div', { className: 'jp-JetLag-actions' });
    if (isActive(job)) {
      actions.append(button('Cancel', 'Cancel this job', () => void this.cancel(job)));
    }
    if (job.state === 'COMPLETED') {
      actions.append(button('Result', 'Preview the result', () => void this.showOutput(job, 'result')));
    }
    actions.append(
      button('stdout', 'What the job printed', () => void this.showOutput(job, 'stdout')),
      button('stderr', 'The job’s error output', () => void this.showOutput(job, 'stderr'))
    );
    if (job.trace_id) {
      const traceId = job.trace_id;
      actions.append(
        button('Trace', 'Open the job’s trace', () =>
          void this.commands.execute('jetlag:open-trace', {
            traceId,
            label: job.label || job.entry
          })
        )
      );
    } else if (job.state === 'RUNNING') {
      actions.append(
        button('Live trace', 'Watch the task events of the running job as they come', () =>
          void this.openLiveTrace(job)
        )
      );
    }
    li.append(actions);
    const select = () => {
      this.selected = job.id;
      for (const other of Array.from(this.list.children)) {
        other.setAttribute('aria-selected', other === li ? 'true' : 'false');
      }
      void this.showOutput(job, job.state === 'COMPLETED' ? 'result' : 'stdout');
    };
    li.addEventListener('click', select);
    activateOnKeys(li, select);
    return li;
  }

  private async cancel(job: Job): Promise<void> {
    try {
      await sendJSON<Job>(`jobs/${encodeURIComponent(job.id)}/cancel`, 'POST', {});
      this.showError('');
    } catch (error) {
      this.showError(errorMessage(error));
    }
    await this.loop.refresh();
  }

  private shown: { id: string; what: string } | null = null;

  private renderDetails(): void {
    if (this.shown && !this.jobs.some(j => j.id === this.shown?.id)) {
      this.details.replaceChildren();
      this.shown = null;
    }
  }

  private async showOutput(job: Job, what: 'result' | 'stdout' | 'stderr'): Promise<void> {
    this.selected = job.id;
    this.shown = { id: job.id, what };
    const id = encodeURIComponent(job.id);
    const title = el('h4', {}, `${job.label || job.entry} · ${what}`);
    let body: HTMLElement;
    try {
      if (what === 'result') {
        const preview = await requestAPI<any>(`jobs/${id}/result/preview`);
        body = el(
          'pre',
          { className: 'jp-JetLag-output jp-JetLag-resultPreview' },
          JSON.stringify(preview.preview ?? preview, null, 1)
        );
      } else {
        const text = await requestText(`jobs/${id}/${what}`);
        body = el(
          'pre',
          { className: `jp-JetLag-output jp-JetLag-${what}` },
          text || `(no ${what} yet)`
        );
      }
    } catch (error) {
      body = el('div', { className: 'jp-JetLag-error' }, errorMessage(error));
    }
    this.details.replaceChildren(title, body);
  }
}
