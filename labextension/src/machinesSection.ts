/**
 * The Machines section of the side panel: where jobs can run (GET /jetlag/api/machines).
 *
 * It lists the machines and keeps the last answer for the submit dialog; it submits nothing.
 */
import { Widget } from '@lumino/widgets';
import { Machine } from './apiTypes';
import { el, button } from './dom';
import { errorMessage, requestAPI } from './requestAPI';

export class MachinesSection extends Widget {
  private machinesList: Machine[] = [];
  private readonly list: HTMLUListElement;
  private readonly status: HTMLDivElement;

  constructor() {
    super();
    this.addClass('jp-JetLag-section');
    this.addClass('jp-JetLag-machines');
    this.list = el('ul', { className: 'jp-JetLag-list', 'aria-label': 'Machines' });
    this.status = el('div', { className: 'jp-JetLag-status', role: 'status' });
    const header = el(
      'div',
      { className: 'jp-JetLag-sectionHeader' },
      el('h3', {}, 'Machines'),
      button('↻', 'Reload the machines', () => void this.refresh())
    );
    this.node.append(header, this.status, this.list);
  }

  /** The machines of the last answer. */
  get machines(): Machine[] {
    return this.machinesList;
  }

  /** Asks the server for the machines again. */
  async refresh(): Promise<Machine[]> {
    try {
      const answer = await requestAPI<{ machines: Machine[] }>('machines');
      this.machinesList = answer.machines;
      this.status.textContent = '';
      this.status.classList.remove('jp-JetLag-error');
      this.render();
    } catch (error) {
      this.status.textContent = errorMessage(error);
      this.status.classList.add('jp-JetLag-error');
    }
    return this.machinesList;
  }

  private render(): void {
    this.list.replaceChildren(
      ...this.machinesList.map(m =>
        el(
          'li',
          {
            className: 'jp-JetLag-item jp-JetLag-machine',
            'data-machine': m.id,
            title: m.available ? m.description : (m.reason ?? 'not available')
          },
          el('span', { className: 'jp-JetLag-name' }, m.id),
          el(
            'span',
            { className: 'jp-JetLag-detail' },
            `${m.backend}${m.host ? ` · ${m.host}` : ''} · ${m.cores_per_node} cores` +
              (m.available ? '' : ` · unavailable: ${m.reason ?? ''}`)
          )
        )
      )
    );
  }
}
