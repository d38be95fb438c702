/**
 * The one selection the linked trace views share (Traveler's linking).
 *
 * The execution tree, the Gantt chart, the utilization chart, the source view and the
 * selection-info box all read and write one `SelectionModel`: clicking a primitive in the
 * tree selects it (its tasks light up in the Gantt, its line in the source), clicking a
 * task selects the task (its primitive and its parent chain are drawn), clicking a source
 * line selects the primitives on it, and Escape clears. Views listen to `changed` and
 * redraw; selecting what is already selected does not fire, so views may write back
 * without loops. No DOM, no JupyterLab imports.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { Guid, baseInstance, displayName, parseInstance, sameGuid } from './format';

/**
 * One task (interval) as the server describes it: an entry of `/intervals` answers, the
 * `/intervals/{guid}` answer itself and each entry of its `ancestry`.
 */
export interface TaskInfo {
  /** The task's GUID (text or number; never computed with). */
  guid: Guid;
  /** The GUID of the task that spawned it (the ancestry link); 0 or missing for roots. */
  parent_guid: Guid;
  /** The worker (location) it ran on, e.g. `worker 3`. */
  location: string;
  /** Its primitive instance name, e.g. `dot$12$15` or `dot$12$15#chunk`. */
  primitive: string;
  /** The primitive's display name, e.g. `dot`. */
  display_name: string;
  /** The task kind as the trace names it (e.g. `task`, `inline`). */
  kind: string;
  /** Start in ns from the trace's start. */
  start: number;
  /** End in ns from the trace's start. */
  end: number;
  /** end - start in ns. */
  duration: number;
}

/** A primitive instance's place in the source, one entry of the `/source` answer's `primitives`. */
export interface SourcePrimitive {
  /** Instance name, e.g. `dot$12$15` (chunks are not listed: they sit where their primitive does). */
  instance: string;
  /** Display name, e.g. `dot`. */
  primitive: string;
  /** 1-based line in `text`. */
  line: number;
  /** Column in that line. */
  col: number;
  /** The file the instance sits in (its section), when the server says. */
  file?: string;
  /** Its line in that file (its tag's line). */
  file_line?: number;
}

/** The `/traces/{id}/source` answer. */
export interface SourceAnswer {
  /** The file the function came from, when known. */
  file: string | null;
  /** The text of every file the primitives point into, one after the other. */
  text: string;
  /** Where each file's lines are in `text` (the entry's file last); absent from old servers. */
  sections?: SourceSection[];
  /** Every primitive instance with its line:col, sorted by line, col, instance. */
  primitives: SourcePrimitive[];
}

/** One file's lines in a `/source` answer's text. */
export interface SourceSection {
  /** The file. */
  file: string;
  /** The compiled functions defined in it. */
  functions: string[];
  /** Lines of `text` before this file's first line. */
  offset: number;
  /** How many lines the file has. */
  lines: number;
}

/** What the source helpers accept: the whole `/source` answer or just its `primitives`. */
export type SourceMap = SourceAnswer | ReadonlyArray<SourcePrimitive>;

/** Nothing selected. */
export interface NoSelection {
  /** Discriminant. */
  kind: 'none';
}

/** A primitive selected (tree node, legend entry, one of a source line's primitives). */
export interface PrimitiveSelection {
  /** Discriminant. */
  kind: 'primitive';
  /** Instance name, e.g. `dot$12$15`; a display name (`dot`) selects all its instances. */
  primitive: string;
  /** Its display name, e.g. `dot`. */
  display: string;
}

/** A task selected (a Gantt bar), with its parent chain once known. */
export interface TaskSelection {
  /** Discriminant. */
  kind: 'task';
  /** The task. */
  task: TaskInfo;
  /** Its parents, nearest first (the `/intervals/{guid}` answer's `ancestry`); [] until loaded. */
  ancestry: TaskInfo[];
}

/** A source line selected, with the primitive instances on it. */
export interface LineSelection {
  /** Discriminant. */
  kind: 'line';
  /** 1-based line number. */
  line: number;
  /** Instance names on that line, by column. */
  primitives: string[];
}

/** The shared selection state. */
export type Selection = NoSelection | PrimitiveSelection | TaskSelection | LineSelection;

/** The empty selection (a single frozen object). */
export const NO_SELECTION: NoSelection = Object.freeze({ kind: 'none' }) as NoSelection;

/** What `SelectionModel.changed` carries. */
export interface SelectionChange {
  /** The selection before. */
  previous: Selection;
  /** The selection now. */
  current: Selection;
}

function sameTask(a: TaskInfo, b: TaskInfo): boolean {
  return (
    sameGuid(a.guid, b.guid) &&
    a.location === b.location &&
    a.start === b.start &&
    a.end === b.end &&
    a.primitive === b.primitive
  );
}

function sameStrings(a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * Whether two selections select the same thing. Tasks compare by GUID (as text),
 * location, start, end and primitive, and by their ancestry's GUIDs (so the arrival of a
 * task's parent chain is a change); primitives by instance and display name; lines by
 * number and primitives.
 */
export function sameSelection(a: Selection, b: Selection): boolean {
  switch (a.kind) {
    case 'none':
      return b.kind === 'none';
    case 'primitive':
      return b.kind === 'primitive' && a.primitive === b.primitive && a.display === b.display;
    case 'task':
      return (
        b.kind === 'task' &&
        sameTask(a.task, b.task) &&
        a.ancestry.length === b.ancestry.length &&
        a.ancestry.every((parent, i) => sameTask(parent, b.ancestry[i]))
      );
    case 'line':
      return b.kind === 'line' && a.line === b.line && sameStrings(a.primitives, b.primitives);
  }
}

function isSourceAnswer(map: SourceMap): map is SourceAnswer {
  return !Array.isArray(map);
}

function entriesOf(map: SourceMap | null | undefined): ReadonlyArray<SourcePrimitive> {
  if (map === null || map === undefined) {
    return [];
  }
  return isSourceAnswer(map) ? map.primitives : map;
}

/**
 * The primitive instance a task belongs to, as the execution tree and the source name
 * it: the task's instance without a `#chunk` suffix (`dot$12$15#chunk` → `dot$12$15`).
 */
export function primitiveOfTask(task: TaskInfo): string {
  return baseInstance(task.primitive);
}

/**
 * The source lines (ascending, without repeats) where `primitive` sits. An instance
 * name (`dot$12$15`, chunks too) gives its own line; a display name (`dot`) gives the
 * lines of all its instances. An instance missing from the map falls back to the line
 * in its tag; [] when nothing is known.
 */
export function linesOfPrimitive(sourceMap: SourceMap | null | undefined, primitive: string): number[] {
  const instance = baseInstance(primitive);
  const entries = entriesOf(sourceMap);
  const lines = new Set<number>();
  const isDisplayName = !instance.includes('$');
  for (const entry of entries) {
    if (isDisplayName ? entry.primitive === displayName(instance) : entry.instance === instance) {
      lines.add(entry.line);
    }
  }
  if (lines.size === 0 && !isDisplayName) {
    const { line } = parseInstance(instance);
    if (line !== null) {
      lines.add(line);
    }
  }
  return [...lines].sort((x, y) => x - y);
}

/** The primitive instances on source line `line`, by column then name; [] when none. */
export function primitivesOnLine(sourceMap: SourceMap | null | undefined, line: number): string[] {
  return entriesOf(sourceMap)
    .filter(entry => entry.line === line)
    .sort((x, y) => x.col - y.col || (x.instance < y.instance ? -1 : x.instance > y.instance ? 1 : 0))
    .map(entry => entry.instance);
}

/**
 * The primitive instances a selection highlights (in the tree, the Gantt and the
 * utilization chart): the primitive itself, a task's primitive (chunk suffix removed),
 * a line's primitives; [] for none.
 */
export function primitivesOfSelection(selection: Selection): string[] {
  switch (selection.kind) {
    case 'none':
      return [];
    case 'primitive':
      return [selection.primitive];
    case 'task':
      return [primitiveOfTask(selection.task)];
    case 'line':
      return selection.primitives.slice();
  }
}

/** The source lines a selection highlights (ascending, without repeats). */
export function linesOfSelection(
  selection: Selection,
  sourceMap: SourceMap | null | undefined
): number[] {
  if (selection.kind === 'line') {
    return [selection.line];
  }
  const lines = new Set<number>();
  for (const primitive of primitivesOfSelection(selection)) {
    for (const line of linesOfPrimitive(sourceMap, primitive)) {
      lines.add(line);
    }
  }
  return [...lines].sort((x, y) => x - y);
}

/**
 * The GUIDs a task selection draws as its chain, as canonical text: the task first,
 * then its parents nearest first; [] for other selections.
 */
export function chainOfSelection(selection: Selection): Guid[] {
  if (selection.kind !== 'task') {
    return [];
  }
  return [selection.task.guid, ...selection.ancestry.map(parent => parent.guid)];
}

/**
 * The shared selection of one trace view. Every linked view holds the same instance,
 * writes through `select*`/`clear` and redraws on `changed`. A change fires only when
 * the selection really changes (see `sameSelection`).
 */
export class SelectionModel {
  private _selection: Selection = NO_SELECTION;
  private readonly _changed = new Signal<SelectionModel, SelectionChange>(this);
  private _isDisposed = false;

  /** Fires with the previous and current selection after every real change. */
  get changed(): ISignal<SelectionModel, SelectionChange> {
    return this._changed;
  }

  /** The current selection. */
  get selection(): Selection {
    return this._selection;
  }

  /** Whether anything is selected. */
  get isEmpty(): boolean {
    return this._selection.kind === 'none';
  }

  /** Whether `dispose` was called. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Make `selection` the current one. Returns whether it changed (and `changed` fired);
   * selecting the same thing again returns false and fires nothing. The object is
   * copied, so later edits of the argument do not leak in.
   */
  select(selection: Selection): boolean {
    if (this._isDisposed || sameSelection(this._selection, selection)) {
      return false;
    }
    const previous = this._selection;
    this._selection = copySelection(selection);
    this._changed.emit({ previous, current: this._selection });
    return true;
  }

  /**
   * Select a primitive instance (or, given a display name like `dot`, all its
   * instances). `display` defaults to the display name derived from `primitive`.
   */
  selectPrimitive(primitive: string, display?: string): boolean {
    return this.select({ kind: 'primitive', primitive, display: display ?? displayName(primitive) });
  }

  /** Select a task; `ancestry` (parents, nearest first) may follow later with `setAncestry`. */
  selectTask(task: TaskInfo, ancestry: TaskInfo[] = []): boolean {
    return this.select({ kind: 'task', task, ancestry });
  }

  /**
   * Add a task's parent chain once the `/intervals/{guid}` answer arrives. Ignored (false)
   * when that task is no longer selected, so a late answer cannot resurrect an old selection.
   */
  setAncestry(task: TaskInfo, ancestry: TaskInfo[]): boolean {
    const current = this._selection;
    if (current.kind !== 'task' || !sameTask(current.task, task)) {
      return false;
    }
    return this.select({ kind: 'task', task: current.task, ancestry });
  }

  /**
   * Select a source line and the primitives on it (from the `/source` answer). A line
   * with no primitives is still a selection (the line is highlighted; nothing else is).
   */
  selectLine(line: number, sourceMap: SourceMap | null | undefined): boolean {
    return this.select({ kind: 'line', line, primitives: primitivesOnLine(sourceMap, line) });
  }

  /** Clear the selection (Escape). Returns whether anything was selected. */
  clear(): boolean {
    return this.select(NO_SELECTION);
  }

  /** Stop firing and drop all listeners. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }
}

function copyTask(task: TaskInfo): TaskInfo {
  return { ...task };
}

/** A deep-enough copy: the model never shares arrays or task objects with its callers. */
function copySelection(selection: Selection): Selection {
  switch (selection.kind) {
    case 'none':
      return NO_SELECTION;
    case 'primitive':
      return { kind: 'primitive', primitive: selection.primitive, display: selection.display };
    case 'task':
      return {
        kind: 'task',
        task: copyTask(selection.task),
        ancestry: selection.ancestry.map(copyTask)
      };
    case 'line':
      return { kind: 'line', line: selection.line, primitives: selection.primitives.slice() };
  }
}
