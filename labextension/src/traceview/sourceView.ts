/**
 * The compiled function's source with line numbers (from `/source`) and, beside it, its
 * PhySL (printed from the `/tree` nodes, one call per line, each tagged name$line$col).
 * Clicking a source line (or Enter/Space on it) selects the primitives on that line;
 * clicking a PhySL line selects its primitive; the selection's lines are highlighted.
 */
import { Widget } from '@lumino/widgets';

import {
  SelectionModel,
  SourceAnswer,
  linesOfSelection,
  primitivesOfSelection
} from '../model/selection';
import { baseInstance } from '../model/format';
import { sourceBlocks } from '../model/sourceBlocks';
import { TraceApi, TreeNode, errorText } from './api';

/** What the source view needs. */
export interface SourceViewOptions {
  /** REST calls of the trace. */
  api: TraceApi;
  /** The shared selection. */
  selection: SelectionModel;
}

/** The last part of a file name (a kernel's cell files live in a temporary folder). */
function shortFile(file: string | null): string {
  if (!file) {
    return 'source';
  }
  const parts = file.split('/');
  return parts[parts.length - 1] || file;
}

/** Lines shown around the compiled function's primitives. */
const CONTEXT_LINES = 2;

/** One PhySL line: its text, depth and the instance it names. */
interface PhyslLine {
  text: string;
  depth: number;
  instance: string | null;
}

/** Print a tree as PhySL, one call per line (variables and literals inline). */
export function physlLines(node: TreeNode, depth = 0): PhyslLine[] {
  if (node.kind === 'program') {
    return node.children.flatMap(child => physlLines(child, depth));
  }
  const tag = node.line !== null ? `$${node.line}$${node.col}` : '';
  if (node.kind === 'variable' || node.kind === 'literal') {
    const value = (node as unknown as { value?: unknown }).value;
    const text = node.kind === 'literal' && value !== undefined ? JSON.stringify(value) : node.name;
    return [{ text: `${text}${node.kind === 'variable' ? tag : ''}`, depth, instance: null }];
  }
  const simple = node.children.every(c => c.kind === 'variable' || c.kind === 'literal');
  if (simple) {
    const args = node.children.map(child => physlLines(child, 0)[0].text).join(', ');
    return [{ text: `${node.name}${tag}(${args})`, depth, instance: node.instance }];
  }
  const lines: PhyslLine[] = [{ text: `${node.name}${tag}(`, depth, instance: node.instance }];
  for (const child of node.children) {
    lines.push(...physlLines(child, depth + 1));
  }
  lines.push({ text: ')', depth, instance: null });
  return lines;
}

/** Source and PhySL side by side, linked to the selection. */
export class SourceView extends Widget {
  /** A source view of the given trace. */
  constructor(options: SourceViewOptions) {
    super();
    this.api = options.api;
    this.selection = options.selection;
    this.addClass('jl-TraceView-source');
    this.sourcePane = document.createElement('ol');
    this.sourcePane.className = 'jl-TraceView-sourceLines';
    this.sourcePane.setAttribute('aria-label', 'Source of the compiled function');
    this.physlPane = document.createElement('ol');
    this.physlPane.className = 'jl-TraceView-physl';
    this.physlPane.setAttribute('aria-label', 'PhySL');
    this.node.append(this.sourcePane, this.physlPane);
    this.node.addEventListener('click', this.onClick);
    this.node.addEventListener('keydown', this.onKeyDown);
    this.selection.changed.connect(this.mirror, this);
    void this.load();
  }

  /** Stop listening to the selection. */
  dispose(): void {
    this.selection.changed.disconnect(this.mirror, this);
    super.dispose();
  }

  private async load(): Promise<void> {
    try {
      this.source = await this.api.source();
      this.renderSource(this.source);
    } catch (reason) {
      this.sourcePane.textContent = `No source: ${errorText(reason)}`;
      this.sourcePane.classList.add('jl-mod-message'); // a sentence wraps; code does not
    }
    try {
      const tree = await this.api.tree();
      this.renderPhysl(physlLines(tree.tree));
    } catch (reason) {
      this.physlPane.textContent = `No PhySL: ${errorText(reason)}`;
      this.physlPane.classList.add('jl-mod-message');
    }
    this.mirror();
  }

  private renderSource(source: SourceAnswer): void {
    const lines = source.text.split('\n');
    const blocks = sourceBlocks(source, CONTEXT_LINES);
    const items: HTMLElement[] = [];
    for (const block of blocks) {
      if (blocks.length > 1) {
        // One heading per file: a cell's run shows the cells its functions came from.
        const heading = document.createElement('li');
        heading.className = 'jl-TraceView-sourceFile';
        heading.setAttribute('role', 'presentation');
        const names = block.functions.length ? `${block.functions.join(', ')} — ` : '';
        heading.textContent = `${names}${shortFile(block.file)}`;
        heading.title = block.file ?? '';
        items.push(heading);
      }
      for (let number = block.from; number <= block.to; number++) {
        const item = document.createElement('li');
        item.className = 'jl-TraceView-sourceLine';
        item.dataset.line = String(number);
        if (number === block.from) {
          item.value = block.firstNumber; // the gutter counts the file's own lines
        }
        item.tabIndex = items.length === 0 || (blocks.length > 1 && items.length === 1) ? 0 : -1;
        item.setAttribute('role', 'button');
        const count = source.primitives.filter(p => p.line === number).length;
        const fileLine = block.firstNumber + (number - block.from);
        item.setAttribute('aria-label', `line ${fileLine}, ${count} primitives`);
        const code = document.createElement('code');
        code.textContent = lines[number - 1] || ' ';
        item.append(code);
        items.push(item);
      }
    }
    this.sourcePane.classList.remove('jl-mod-message');
    this.sourcePane.replaceChildren(...items);
    this.node.dataset.sourceFiles = String(blocks.length);
  }

  private renderPhysl(lines: PhyslLine[]): void {
    const items = lines.map(line => {
      const item = document.createElement('li');
      item.className = 'jl-TraceView-physlLine';
      item.style.paddingLeft = `${line.depth * 1.2}em`;
      const code = document.createElement('code');
      code.textContent = line.text;
      item.append(code);
      if (line.instance) {
        item.dataset.instance = line.instance;
        item.tabIndex = -1;
        item.setAttribute('role', 'button');
      }
      return item;
    });
    this.physlPane.classList.remove('jl-mod-message');
    this.physlPane.replaceChildren(...items);
  }

  private choose(item: HTMLElement): void {
    if (item.dataset.line) {
      this.selection.selectLine(Number(item.dataset.line), this.source);
    } else if (item.dataset.instance) {
      this.selection.selectPrimitive(item.dataset.instance);
    }
  }

  private readonly onClick = (event: MouseEvent): void => {
    const item = (event.target as HTMLElement).closest<HTMLElement>('[data-line],[data-instance]');
    if (item) {
      this.choose(item);
    }
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    const item = (event.target as HTMLElement).closest<HTMLElement>('[data-line],[data-instance]');
    if (!item) {
      return;
    }
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.choose(item);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const pane = item.parentElement;
      const all = pane ? [...pane.querySelectorAll<HTMLElement>('[tabindex]')] : [];
      const next = all[all.indexOf(item) + (event.key === 'ArrowDown' ? 1 : -1)];
      if (next) {
        item.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    }
  };

  private mirror(): void {
    const current = this.selection.selection;
    const lines = new Set(linesOfSelection(current, this.source));
    const instances = new Set(primitivesOfSelection(current).map(baseInstance));
    let firstLit: HTMLElement | null = null;
    for (const item of this.sourcePane.querySelectorAll<HTMLElement>('[data-line]')) {
      const on = lines.has(Number(item.dataset.line));
      item.classList.toggle('jl-mod-selected', on);
      firstLit = firstLit ?? (on ? item : null);
    }
    for (const item of this.physlPane.querySelectorAll<HTMLElement>('[data-instance]')) {
      item.classList.toggle('jl-mod-selected', instances.has(item.dataset.instance ?? ''));
    }
    this.node.dataset.selectedLines = [...lines].join(',');
    if (firstLit && !this.node.contains(document.activeElement)) {
      firstLit.scrollIntoView({ block: 'nearest' });
    }
  }

  private readonly api: TraceApi;
  private readonly selection: SelectionModel;
  private readonly sourcePane: HTMLOListElement;
  private readonly physlPane: HTMLOListElement;
  private source: SourceAnswer | null = null;
}
