/**
 * The execution tree: the server's node-link chart (`/charts/tree`, Vega-Lite via
 * vega-embed) coloured by inclusive or exclusive time, or by the difference to a second
 * trace, and beside it a keyboard-usable outline of the same tree. Clicking a node (or
 * Enter/Space on an outline item) selects its primitive in the shared SelectionModel;
 * the model's primitive is mirrored back into both.
 */
import { Panel, Widget } from '@lumino/widgets';

import { formatCount, formatNs } from '../model/format';
import { SelectionModel, primitivesOfSelection } from '../model/selection';
import { TraceApi, TreeNode, errorText } from './api';
import { VegaChart, pointOf } from './vegaChart';

/** How the tree's nodes are coloured. */
export type ColorMode = 'inclusive' | 'exclusive' | 'difference';

/** What the tree view needs. */
export interface TreeViewOptions {
  /** REST calls of the trace. */
  api: TraceApi;
  /** The shared selection. */
  selection: SelectionModel;
  /** A second trace to colour differences against, if comparing. */
  compareWith?: string;
  /** The colour mode to start with. */
  colorMode?: ColorMode;
  /** Called when the user picks another colour mode (to remember it). */
  onColorMode?: (mode: ColorMode) => void;
}

/** Kinds of tree node that are not primitives one can select. */
const PASSIVE_KINDS = new Set(['variable', 'literal']);

/** The tree chart, its colour-mode picker and its outline. */
export class TreeView extends Panel {
  /** A tree view of the given trace. */
  constructor(options: TreeViewOptions) {
    super();
    this.api = options.api;
    this.selection = options.selection;
    this.compareWith = options.compareWith;
    this.onColorMode = options.onColorMode;
    this.mode = options.colorMode ?? (options.compareWith ? 'difference' : 'inclusive');
    if (this.mode === 'difference' && !this.compareWith) {
      this.mode = 'inclusive';
    }
    this.addClass('jl-TraceView-tree');
    this.addWidget(this.toolbar());
    this.chart = new VegaChart('jl-TraceView-treeChart');
    this.chart.listen('primitive', (_name, value) => {
      const instance = pointOf(value, 'primitive');
      if (instance) {
        this.selection.selectPrimitive(instance);
      } else {
        this.selection.clear();
      }
    });
    this.addWidget(this.chart);
    this.outline = new Widget({ node: document.createElement('ul') });
    this.outline.addClass('jl-TraceView-outline');
    this.outline.node.setAttribute('role', 'tree');
    this.outline.node.setAttribute('aria-label', 'Execution tree');
    this.addWidget(this.outline);
    this.selection.changed.connect(this.mirrorSelection, this);
    void this.loadChart();
    void this.loadOutline();
  }

  /** Stop listening to the selection. */
  dispose(): void {
    this.selection.changed.disconnect(this.mirrorSelection, this);
    super.dispose();
  }

  /** The current colour mode. */
  get colorMode(): ColorMode {
    return this.mode;
  }

  private toolbar(): Widget {
    const bar = new Widget();
    bar.addClass('jl-TraceView-toolbar');
    const label = document.createElement('label');
    label.textContent = 'Colour by ';
    const select = document.createElement('select');
    select.className = 'jl-TraceView-colorMode';
    const modes: ColorMode[] = this.compareWith
      ? ['inclusive', 'exclusive', 'difference']
      : ['inclusive', 'exclusive'];
    for (const mode of modes) {
      const option = document.createElement('option');
      option.value = mode;
      option.textContent = mode === 'difference' ? 'difference to the other trace' : `${mode} time`;
      option.selected = mode === this.mode;
      select.append(option);
    }
    select.addEventListener('change', () => {
      this.mode = select.value as ColorMode;
      this.onColorMode?.(this.mode);
      void this.loadChart();
    });
    label.append(select);
    bar.node.append(label);
    return bar;
  }

  private async loadChart(): Promise<void> {
    const values: Record<string, unknown> =
      this.mode === 'difference'
        ? { compare: this.compareWith }
        : { color: this.mode };
    try {
      const spec = await this.api.chart('tree', values);
      await this.chart.draw(spec);
      await this.mirrorSelection();
    } catch (reason) {
      this.chart.showMessage(`Tree chart unavailable: ${errorText(reason)}`);
    }
  }

  private async loadOutline(): Promise<void> {
    try {
      const answer = await this.api.tree();
      const list = this.outline.node;
      list.replaceChildren(...this.items(answer.tree, 1));
      const first = list.querySelector<HTMLElement>('[role="treeitem"]');
      if (first) {
        first.tabIndex = 0;
      }
      list.addEventListener('keydown', this.onKeyDown);
      list.addEventListener('click', this.onClick);
      this.mirrorOutline();
    } catch (reason) {
      this.outline.node.textContent = `Tree unavailable: ${errorText(reason)}`;
    }
  }

  /** Outline items for the node's subtree (variables and literals left out). */
  private items(node: TreeNode, level: number): HTMLElement[] {
    const children = node.children.filter(child => !PASSIVE_KINDS.has(child.kind));
    if (node.kind === 'program') {
      return children.flatMap(child => this.items(child, level));
    }
    const item = document.createElement('li');
    item.setAttribute('role', 'treeitem');
    item.setAttribute('aria-level', String(level));
    item.setAttribute('aria-selected', 'false');
    item.tabIndex = -1;
    item.dataset.instance = node.instance;
    const profile = node.profile;
    const where = node.line !== null ? ` ${node.line}:${node.col}` : '';
    const row = document.createElement('span');
    row.className = 'jl-TraceView-outlineRow';
    row.textContent = profile
      ? `${node.name}${where} — ${formatCount(profile.count)}×, ${formatNs(profile.inclusive_ns)}`
      : `${node.name}${where}`;
    item.append(row);
    const nested = children.flatMap(child => this.items(child, level + 1));
    if (nested.length) {
      const group = document.createElement('ul');
      group.setAttribute('role', 'group');
      group.append(...nested);
      item.append(group);
    }
    return [item];
  }

  private readonly onClick = (event: MouseEvent): void => {
    const item = (event.target as HTMLElement).closest<HTMLElement>('[role="treeitem"]');
    if (item?.dataset.instance) {
      event.stopPropagation();
      this.focusItem(item);
      this.selection.selectPrimitive(item.dataset.instance);
    }
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    const item = (event.target as HTMLElement).closest<HTMLElement>('[role="treeitem"]');
    if (!item) {
      return;
    }
    const all = [...this.outline.node.querySelectorAll<HTMLElement>('[role="treeitem"]')];
    const at = all.indexOf(item);
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.selection.selectPrimitive(item.dataset.instance ?? '');
    } else if (event.key === 'ArrowDown' && at + 1 < all.length) {
      event.preventDefault();
      this.focusItem(all[at + 1]);
    } else if (event.key === 'ArrowUp' && at > 0) {
      event.preventDefault();
      this.focusItem(all[at - 1]);
    }
  };

  private focusItem(item: HTMLElement): void {
    for (const other of this.outline.node.querySelectorAll<HTMLElement>('[role="treeitem"]')) {
      other.tabIndex = -1;
    }
    item.tabIndex = 0;
    item.focus();
  }

  private async mirrorSelection(): Promise<void> {
    this.mirrorOutline();
    const current = primitivesOfSelection(this.selection.selection);
    await this.chart.selectPoint('primitive', 'primitive', current[0] ?? null);
  }

  private mirrorOutline(): void {
    const chosen = new Set(primitivesOfSelection(this.selection.selection));
    for (const item of this.outline.node.querySelectorAll<HTMLElement>('[role="treeitem"]')) {
      const on = chosen.has(item.dataset.instance ?? '');
      item.setAttribute('aria-selected', on ? 'true' : 'false');
      if (on && !item.contains(document.activeElement)) {
        item.scrollIntoView({ block: 'nearest' });
      }
    }
  }

  private readonly api: TraceApi;
  private readonly selection: SelectionModel;
  private readonly compareWith?: string;
  private readonly onColorMode?: (mode: ColorMode) => void;
  private readonly chart: VegaChart;
  private readonly outline: Widget;
  private mode: ColorMode;
}
