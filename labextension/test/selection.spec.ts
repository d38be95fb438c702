import {
  NO_SELECTION,
  Selection,
  SelectionChange,
  SelectionModel,
  SourceAnswer,
  TaskInfo,
  chainOfSelection,
  linesOfPrimitive,
  linesOfSelection,
  primitiveOfTask,
  primitivesOfSelection,
  primitivesOnLine,
  sameSelection
} from '../src/model';

/** A `/source` answer shaped as server_ext/queries/documents.py builds it. */
const SOURCE: SourceAnswer = {
  file: 'lra.py',
  text: 'def lra(x, y):\n    w = dot(x, y)\n    g = glm_gradient(dot(x, w), y)\n',
  primitives: [
    { instance: 'lra$1$0', primitive: 'lra', line: 1, col: 0 },
    { instance: 'dot$2$8', primitive: 'dot', line: 2, col: 8 },
    { instance: 'dot$3$21', primitive: 'dot', line: 3, col: 21 },
    { instance: 'glm_gradient$3$8', primitive: 'glm_gradient', line: 3, col: 8 }
  ]
};

function task(guid: string | number, primitive = 'dot$2$8', parent: string | number = 0): TaskInfo {
  return {
    guid,
    parent_guid: parent,
    location: 'worker 0',
    primitive,
    display_name: primitive.split('$')[0],
    kind: 'task',
    start: 100,
    end: 250,
    duration: 150
  };
}

function recorder(model: SelectionModel): SelectionChange[] {
  const seen: SelectionChange[] = [];
  model.changed.connect((_, change) => {
    seen.push(change);
  });
  return seen;
}

describe('SelectionModel', () => {
  it('starts empty', () => {
    const model = new SelectionModel();
    expect(model.selection).toBe(NO_SELECTION);
    expect(model.isEmpty).toBe(true);
  });

  it('fires once per real change with previous and current', () => {
    const model = new SelectionModel();
    const seen = recorder(model);
    expect(model.selectPrimitive('dot$2$8')).toBe(true);
    expect(model.selection).toEqual({ kind: 'primitive', primitive: 'dot$2$8', display: 'dot' });
    expect(seen).toHaveLength(1);
    expect(seen[0].previous).toEqual({ kind: 'none' });
    expect(seen[0].current).toBe(model.selection);

    // The same thing again: no change, no signal (a view writing back does not loop).
    expect(model.selectPrimitive('dot$2$8')).toBe(false);
    expect(model.select({ kind: 'primitive', primitive: 'dot$2$8', display: 'dot' })).toBe(false);
    expect(seen).toHaveLength(1);

    expect(model.selectPrimitive('dot$3$21')).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen[1].previous).toEqual({ kind: 'primitive', primitive: 'dot$2$8', display: 'dot' });
  });

  it('moves through every kind and back to none (Escape)', () => {
    const model = new SelectionModel();
    const seen = recorder(model);
    model.selectPrimitive('glm_gradient$3$8');
    model.selectTask(task('7'));
    model.selectLine(3, SOURCE);
    model.select({ kind: 'primitive', primitive: 'dot', display: 'dot' });
    expect(model.clear()).toBe(true);
    expect(model.clear()).toBe(false); // Escape twice fires once
    expect(seen.map(change => change.current.kind)).toEqual([
      'primitive',
      'task',
      'line',
      'primitive',
      'none'
    ]);
    expect(model.isEmpty).toBe(true);
    // Each change's previous is the change before's current.
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].previous).toBe(seen[i - 1].current);
    }
  });

  it('compares tasks by GUID text, not object identity or number form', () => {
    const model = new SelectionModel();
    const seen = recorder(model);
    model.selectTask(task(42));
    expect(model.selectTask(task('42'))).toBe(false);
    expect(model.selectTask({ ...task(42) })).toBe(false);
    expect(model.selectTask(task(43))).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it('keeps 64-bit GUIDs apart', () => {
    const model = new SelectionModel();
    model.selectTask(task('18446744073709551615'));
    expect(model.selectTask(task('18446744073709551614'))).toBe(true);
  });

  it('adds the ancestry of the selected task when it arrives, and fires for it', () => {
    const model = new SelectionModel();
    const seen = recorder(model);
    const child = task('3', 'dot$3$21', '2');
    const chain = [task('2', 'glm_gradient$3$8', '1'), task('1', 'lra$1$0')];
    model.selectTask(child);
    expect(model.setAncestry(child, chain)).toBe(true);
    expect(model.setAncestry(child, chain)).toBe(false); // same chain again
    expect(seen).toHaveLength(2);
    const current = model.selection;
    expect(current.kind).toBe('task');
    expect(chainOfSelection(current)).toEqual(['3', '2', '1']);
  });

  it('ignores an ancestry that arrives after the task was deselected', () => {
    const model = new SelectionModel();
    const first = task('3');
    model.selectTask(first);
    model.selectTask(task('4'));
    expect(model.setAncestry(first, [task('1')])).toBe(false);
    model.clear();
    expect(model.setAncestry(first, [task('1')])).toBe(false);
    expect(model.isEmpty).toBe(true);
  });

  it('copies what it is given', () => {
    const model = new SelectionModel();
    const primitives = ['dot$2$8'];
    model.select({ kind: 'line', line: 2, primitives });
    primitives.push('extra');
    const current = model.selection;
    expect(current.kind === 'line' && current.primitives).toEqual(['dot$2$8']);
  });

  it('selects a line with its primitives, by column', () => {
    const model = new SelectionModel();
    model.selectLine(3, SOURCE);
    expect(model.selection).toEqual({
      kind: 'line',
      line: 3,
      primitives: ['glm_gradient$3$8', 'dot$3$21']
    });
    // A line with no primitive is still a selection.
    expect(model.selectLine(4, SOURCE)).toBe(true);
    expect(model.selection).toEqual({ kind: 'line', line: 4, primitives: [] });
    expect(model.selectLine(4, null)).toBe(false);
  });

  it('stops firing after dispose', () => {
    const model = new SelectionModel();
    const seen = recorder(model);
    model.dispose();
    model.dispose();
    expect(model.isDisposed).toBe(true);
    expect(model.selectPrimitive('dot$2$8')).toBe(false);
    expect(seen).toHaveLength(0);
  });
});

describe('sameSelection', () => {
  const samples: Selection[] = [
    NO_SELECTION,
    { kind: 'primitive', primitive: 'dot$2$8', display: 'dot' },
    { kind: 'primitive', primitive: 'dot', display: 'dot' },
    { kind: 'task', task: task('1'), ancestry: [] },
    { kind: 'task', task: task('1'), ancestry: [task('0')] },
    { kind: 'task', task: { ...task('1'), location: 'worker 1' }, ancestry: [] },
    { kind: 'line', line: 2, primitives: ['dot$2$8'] },
    { kind: 'line', line: 2, primitives: [] },
    { kind: 'line', line: 3, primitives: ['dot$2$8'] }
  ];

  it('is an equivalence that tells every sample apart', () => {
    samples.forEach((a, i) => {
      samples.forEach((b, j) => {
        expect(sameSelection(a, b)).toBe(i === j);
        expect(sameSelection(a, b)).toBe(sameSelection(b, a));
      });
      expect(sameSelection(a, JSON.parse(JSON.stringify(a)) as Selection)).toBe(true);
    });
  });
});

describe('source helpers', () => {
  it('finds the lines of an instance, a chunk and a display name', () => {
    expect(linesOfPrimitive(SOURCE, 'dot$2$8')).toEqual([2]);
    expect(linesOfPrimitive(SOURCE, 'dot$3$21#chunk')).toEqual([3]);
    expect(linesOfPrimitive(SOURCE, 'dot')).toEqual([2, 3]);
    expect(linesOfPrimitive(SOURCE, 'dot#chunk')).toEqual([2, 3]);
    expect(linesOfPrimitive(SOURCE.primitives, 'glm_gradient')).toEqual([3]);
    expect(linesOfPrimitive(SOURCE, 'nosuch')).toEqual([]);
  });

  it('falls back to the tag when the map does not list an instance', () => {
    expect(linesOfPrimitive(SOURCE, 'add$9$1')).toEqual([9]);
    expect(linesOfPrimitive(null, 'add$9$1')).toEqual([9]);
    expect(linesOfPrimitive(undefined, 'add')).toEqual([]);
  });

  it('lists the primitives on a line by column', () => {
    expect(primitivesOnLine(SOURCE, 3)).toEqual(['glm_gradient$3$8', 'dot$3$21']);
    expect(primitivesOnLine(SOURCE, 1)).toEqual(['lra$1$0']);
    expect(primitivesOnLine(SOURCE, 99)).toEqual([]);
    expect(primitivesOnLine([], 3)).toEqual([]);
  });

  it('round-trips: every listed primitive is on the lines it is listed at', () => {
    for (const entry of SOURCE.primitives) {
      for (const line of linesOfPrimitive(SOURCE, entry.instance)) {
        expect(primitivesOnLine(SOURCE, line)).toContain(entry.instance);
      }
    }
  });

  it('maps a task to its primitive instance without the chunk suffix', () => {
    expect(primitiveOfTask(task('1', 'dot$3$21#chunk'))).toBe('dot$3$21');
    expect(primitiveOfTask(task('1', 'dot$3$21'))).toBe('dot$3$21');
  });

  it('tells each view what a selection highlights', () => {
    const line: Selection = { kind: 'line', line: 3, primitives: ['glm_gradient$3$8', 'dot$3$21'] };
    const taskSelection: Selection = { kind: 'task', task: task('5', 'dot$3$21#chunk'), ancestry: [] };
    expect(primitivesOfSelection(NO_SELECTION)).toEqual([]);
    expect(primitivesOfSelection(line)).toEqual(['glm_gradient$3$8', 'dot$3$21']);
    expect(primitivesOfSelection(taskSelection)).toEqual(['dot$3$21']);
    expect(linesOfSelection(taskSelection, SOURCE)).toEqual([3]);
    expect(linesOfSelection(line, SOURCE)).toEqual([3]);
    expect(linesOfSelection({ kind: 'primitive', primitive: 'dot', display: 'dot' }, SOURCE)).toEqual([
      2, 3
    ]);
    expect(linesOfSelection(NO_SELECTION, SOURCE)).toEqual([]);
    expect(chainOfSelection(line)).toEqual([]);
  });
});
