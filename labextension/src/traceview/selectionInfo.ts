/**
 * The selection-info box: what is selected, in words. A primitive shows its profile
 * (count, inclusive and exclusive time, from `/profile`); a task its primitive, place,
 * worker, times and GUID, and its parent chain (ancestry by Parent GUID), each parent
 * clickable; a source line the primitives on it. Escape anywhere in the view clears.
 */
import { Widget } from '@lumino/widgets';

import { formatCount, formatGuid, formatNs, formatPlace } from '../model/format';
import { Selection, SelectionModel, TaskInfo } from '../model/selection';
import { ProfileRow, TraceApi, errorText } from './api';

/** What the selection box needs. */
export interface SelectionInfoOptions {
  /** REST calls of the trace. */
  api: TraceApi;
  /** The shared selection. */
  selection: SelectionModel;
}

/** A box describing the current selection. */
export class SelectionInfo extends Widget {
  /** A selection box for the given trace. */
  constructor(options: SelectionInfoOptions) {
    super();
    this.api = options.api;
    this.selection = options.selection;
    this.addClass('jl-TraceView-selectionInfo');
    this.node.setAttribute('aria-live', 'polite');
    this.node.tabIndex = 0;
    this.node.addEventListener('click', this.onClick);
    this.selection.changed.connect(this.render, this);
    void this.api.profile().then(
      answer => {
        this.profile = answer.rows;
        this.render();
      },
      reason => {
        this.profileError = errorText(reason);
        this.render();
      }
    );
    this.render();
  }

  /** Stop listening to the selection. */
  dispose(): void {
    this.selection.changed.disconnect(this.render, this);
    super.dispose();
  }

  private render(): void {
    const current = this.selection.selection;
    this.node.dataset.kind = current.kind;
    if (current.kind === 'task') {
      this.node.dataset.guid = formatGuid(current.task.guid);
    } else {
      delete this.node.dataset.guid;
    }
    this.node.replaceChildren(...this.describe(current));
  }

  private describe(current: Selection): HTMLElement[] {
    switch (current.kind) {
      case 'none':
        return [paragraph('Nothing selected. Click a tree node, a task or a source line; Escape clears.')];
      case 'primitive':
        return [heading(formatPlace(current.primitive)), this.stats([current.primitive])];
      case 'line':
        return [
          heading(`Line ${current.line}`),
          current.primitives.length
            ? this.stats(current.primitives)
            : paragraph('No primitive on this line.')
        ];
      case 'task':
        return this.describeTask(current.task, current.ancestry);
    }
  }

  /** Profile rows of the given instances (a display name matches all its instances). */
  private stats(instances: string[]): HTMLElement {
    if (!this.profile) {
      return paragraph(this.profileError ? `No profile: ${this.profileError}` : 'Loading profile…');
    }
    const rows = this.profile.filter(row =>
      instances.some(name => row.instance === name || (!name.includes('$') && row.display_name === name))
    );
    if (!rows.length) {
      return paragraph('No tasks of this primitive were measured.');
    }
    const table = document.createElement('table');
    table.className = 'jl-TraceView-stats';
    table.append(row(['primitive', 'count', 'inclusive', 'exclusive'], 'th'));
    for (const r of rows) {
      table.append(
        row([formatPlace(r.instance), formatCount(r.count), formatNs(r.inclusive_ns), formatNs(r.exclusive_ns)])
      );
    }
    return table;
  }

  private describeTask(task: TaskInfo, ancestry: TaskInfo[]): HTMLElement[] {
    const facts = document.createElement('dl');
    const add = (term: string, value: string): void => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      facts.append(dt, dd);
    };
    add('worker', task.location);
    add('kind', task.kind);
    add('start', formatNs(task.start));
    add('duration', formatNs(task.duration));
    add('GUID', formatGuid(task.guid));
    const chain = document.createElement('ol');
    chain.className = 'jl-TraceView-ancestry';
    chain.dataset.guids = ancestry.map(parent => formatGuid(parent.guid)).join(',');
    for (const parent of ancestry) {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.className = 'jl-TraceView-ancestor';
      button.dataset.instance = parent.primitive;
      button.dataset.guid = formatGuid(parent.guid);
      button.textContent = `${formatPlace(parent.primitive)} — GUID ${formatGuid(parent.guid)}, ${formatNs(parent.duration)} on ${parent.location}`;
      item.append(button);
      chain.append(item);
    }
    const title = paragraph(
      ancestry.length ? 'Parent chain (nearest first):' : 'Parent chain: loading or none.'
    );
    return [heading(`Task of ${formatPlace(task.primitive)}`), facts, title, chain];
  }

  private readonly onClick = (event: MouseEvent): void => {
    const button = (event.target as HTMLElement).closest<HTMLElement>('.jl-TraceView-ancestor');
    if (button?.dataset.instance) {
      this.selection.selectPrimitive(button.dataset.instance);
    }
  };

  private readonly api: TraceApi;
  private readonly selection: SelectionModel;
  private profile: ProfileRow[] | null = null;
  private profileError: string | null = null;
}

function heading(text: string): HTMLElement {
  const element = document.createElement('h3');
  element.textContent = text;
  return element;
}

function paragraph(text: string): HTMLElement {
  const element = document.createElement('p');
  element.textContent = text;
  return element;
}

function row(cells: string[], tag: 'td' | 'th' = 'td'): HTMLElement {
  const tr = document.createElement('tr');
  for (const text of cells) {
    const cell = document.createElement(tag);
    cell.textContent = text;
    tr.append(cell);
  }
  return tr;
}
