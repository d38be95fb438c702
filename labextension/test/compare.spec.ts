import {
  ProfileAnswer,
  ProfileRow,
  comparisonFromAnswer,
  comparisonFromRows,
  comparisonRowFor,
  compareProfiles,
  formatRatio,
  ratioOf,
  relativeChange,
  sortByDifference
} from '../src/model';

function row(instance: string, count: number, inclusive: number, exclusive: number): ProfileRow {
  const hash = instance.indexOf('#');
  const base = hash >= 0 ? instance.slice(0, hash) : instance;
  const name = base.split('$')[0] + (hash >= 0 ? instance.slice(hash) : '');
  return {
    instance,
    display_name: name,
    count,
    inclusive_ns: inclusive,
    exclusive_ns: exclusive,
    eval_direct: 0
  };
}

/** `optimize=False`: two separate dots and an add. */
const UNOPTIMIZED: ProfileAnswer = {
  origin: 'profile.json',
  rows: [
    row('lra$1$0', 1, 10_000, 1_000),
    row('dot$2$8', 10, 4_000, 4_000),
    row('dot$3$21', 10, 3_000, 3_000),
    row('add$4$8', 10, 2_000, 2_000)
  ]
};

/** The default: the add fused away, a fused primitive appears, one dot got faster. */
const OPTIMIZED: ProfileAnswer = {
  origin: 'profile.json',
  rows: [
    row('lra$1$0', 1, 6_000, 1_000),
    row('dot$2$8', 10, 2_000, 2_000),
    row('dot$3$21', 10, 3_000, 3_000),
    row('fused_axpy$4$8', 10, 500, 500)
  ]
};

describe('ratioOf', () => {
  it('is b / a without NaN for the zero cases', () => {
    expect(ratioOf(2, 3)).toBe(1.5);
    expect(ratioOf(0, 0)).toBe(1);
    expect(ratioOf(0, 5)).toBe(Infinity);
    expect(ratioOf(0, -5)).toBe(-Infinity);
    expect(ratioOf(5, 0)).toBe(0);
    expect(ratioOf(Number.NaN, 1)).toBeNaN();
  });
});

describe('compareProfiles by display name', () => {
  const comparison = compareProfiles(UNOPTIMIZED, OPTIMIZED);

  it('pairs primitives, summing instances, and keeps one-sided ones', () => {
    expect(comparison.key).toBe('display_name');
    expect(comparison.rows.map(r => r.key).sort()).toEqual(['add', 'dot', 'fused_axpy', 'lra']);
    const dot = comparisonRowFor(comparison, 'dot');
    expect(dot?.instances).toEqual(['dot$2$8', 'dot$3$21']);
    expect(dot?.a).toEqual({ count: 20, inclusive_ns: 7_000, exclusive_ns: 7_000 });
    expect(dot?.b).toEqual({ count: 20, inclusive_ns: 5_000, exclusive_ns: 5_000 });
    expect(dot?.difference).toEqual({ count: 0, inclusive_ns: -2_000, exclusive_ns: -2_000 });
    expect(dot?.ratio.count).toBe(1);
    expect(dot?.ratio.exclusive_ns).toBeCloseTo(5 / 7, 12);
    expect(dot?.presence).toBe('both');
  });

  it('gives a primitive only in A a null B, ratio 0, and the whole value as difference', () => {
    const add = comparisonRowFor(comparison, 'add');
    expect(add?.presence).toBe('onlyA');
    expect(add?.b).toBeNull();
    expect(add?.difference).toEqual({ count: -10, inclusive_ns: -2_000, exclusive_ns: -2_000 });
    expect(add?.ratio).toEqual({ count: 0, inclusive_ns: 0, exclusive_ns: 0 });
    expect(formatRatio(add?.ratio.exclusive_ns ?? Number.NaN)).toBe('gone');
    expect(relativeChange(add!, 'exclusive_ns')).toBe(-1);
  });

  it('gives a primitive only in B a null A and an infinite ratio, never NaN', () => {
    const fused = comparisonRowFor(comparison, 'fused_axpy');
    expect(fused?.presence).toBe('onlyB');
    expect(fused?.a).toBeNull();
    expect(fused?.difference.exclusive_ns).toBe(500);
    expect(fused?.ratio.exclusive_ns).toBe(Infinity);
    expect(formatRatio(fused?.ratio.exclusive_ns ?? Number.NaN)).toBe('new');
    expect(relativeChange(fused!, 'exclusive_ns')).toBeNull();
    for (const r of comparison.rows) {
      for (const value of Object.values(r.ratio)) {
        expect(Number.isNaN(value)).toBe(false);
      }
    }
    expect(comparison.onlyA).toBe(1);
    expect(comparison.onlyB).toBe(1);
  });

  it('sorts by absolute exclusive difference, largest first', () => {
    // add and dot both -2000 exclusive and inclusive: the count breaks the tie; fused +500; lra 0
    expect(comparison.rows.map(r => r.key)).toEqual(['add', 'dot', 'fused_axpy', 'lra']);
    const byInclusive = sortByDifference(comparison.rows, 'inclusive_ns');
    expect(byInclusive.map(r => r.key)).toEqual(['lra', 'add', 'dot', 'fused_axpy']);
    const byCount = sortByDifference(comparison.rows, 'count');
    expect(byCount.map(r => r.key)).toEqual(['add', 'fused_axpy', 'dot', 'lra']);
    expect(compareProfiles(UNOPTIMIZED, OPTIMIZED, { sortBy: 'inclusive_ns' }).rows[0].key).toBe(
      'lra'
    );
  });

  it('totals both sides', () => {
    expect(comparison.totals.a).toEqual({ count: 31, inclusive_ns: 19_000, exclusive_ns: 10_000 });
    expect(comparison.totals.b).toEqual({ count: 31, inclusive_ns: 11_500, exclusive_ns: 6_500 });
    expect(comparison.totals.difference.exclusive_ns).toBe(-3_500);
    expect(comparison.totals.ratio.exclusive_ns).toBeCloseTo(0.65, 12);
  });

  it('finds the row of a tree node by instance name', () => {
    expect(comparisonRowFor(comparison, 'dot$3$21')?.key).toBe('dot');
    expect(comparisonRowFor(comparison, 'dot$9$9')?.key).toBe('dot');
    expect(comparisonRowFor(comparison, 'nosuch$1$1')).toBeUndefined();
  });
});

describe('compareProfiles by instance and odd input', () => {
  it('keeps instances apart, chunks too', () => {
    const a = [row('dot$2$8', 2, 100, 60), row('dot$2$8#chunk', 8, 40, 40)];
    const b = [row('dot$2$8', 2, 80, 50)];
    const comparison = compareProfiles(a, b, { key: 'instance' });
    expect(comparison.rows.map(r => [r.key, r.display_name, r.presence])).toEqual([
      ['dot$2$8#chunk', 'dot#chunk', 'onlyA'],
      ['dot$2$8', 'dot', 'both']
    ]);
    expect(comparisonRowFor(comparison, 'dot$2$8')?.difference.exclusive_ns).toBe(-10);
    expect(comparisonRowFor(comparison, 'dot')).toBeUndefined();
  });

  it('compares a profile with itself as no change', () => {
    const same = compareProfiles(UNOPTIMIZED, UNOPTIMIZED);
    for (const r of same.rows) {
      expect(r.presence).toBe('both');
      expect(r.difference).toEqual({ count: 0, inclusive_ns: 0, exclusive_ns: 0 });
      expect(r.ratio).toEqual({ count: 1, inclusive_ns: 1, exclusive_ns: 1 });
      expect(formatRatio(r.ratio.inclusive_ns)).toBe('×1.00');
    }
  });

  it('handles empty and missing profiles', () => {
    const empty = compareProfiles(null, { rows: [] });
    expect(empty.rows).toEqual([]);
    expect(empty.totals.ratio).toEqual({ count: 1, inclusive_ns: 1, exclusive_ns: 1 });
    const onlyB = compareProfiles(undefined, OPTIMIZED);
    expect(onlyB.onlyB).toBe(onlyB.rows.length);
    expect(onlyB.totals.ratio.count).toBe(Infinity);
  });

  it('counts rows that never ran as absent and non-finite numbers as 0', () => {
    const comparison = compareProfiles(
      [row('dot$2$8', 0, 0, 0), row('add$3$1', 1, Number.NaN, 5)],
      [row('dot$2$8', 1, 10, 10)]
    );
    expect(comparisonRowFor(comparison, 'dot')?.presence).toBe('onlyB');
    expect(comparisonRowFor(comparison, 'add')?.a).toEqual({
      count: 1,
      inclusive_ns: 0,
      exclusive_ns: 5
    });
  });
});

describe('comparisonFromRows (paired rows, e.g. a /compare answer)', () => {
  it('derives differences, ratios, presence and order', () => {
    const comparison = comparisonFromRows([
      { display_name: 'dot', a: { count: 20, inclusive_ns: 7000, exclusive_ns: 7000 }, b: { count: 20, inclusive_ns: 5000, exclusive_ns: 5000 } },
      { display_name: 'add', a: { count: 10, inclusive_ns: 2000, exclusive_ns: 2000 }, b: null },
      { display_name: 'fused_axpy', b: { count: 10, exclusive_ns: 500 } },
      { display_name: 'ghost', a: null, b: null }
    ]);
    expect(comparison.rows.map(r => [r.key, r.presence])).toEqual([
      ['add', 'onlyA'],
      ['dot', 'both'],
      ['fused_axpy', 'onlyB']
    ]);
    expect(comparisonRowFor(comparison, 'fused_axpy')?.b).toEqual({
      count: 10,
      inclusive_ns: 0,
      exclusive_ns: 500
    });
    expect(comparison.totals.difference.exclusive_ns).toBe(-3500);
    expect(comparisonFromRows([]).rows).toEqual([]);
  });
});

describe('formatRatio', () => {
  it('reads well at every size', () => {
    expect(formatRatio(1.5)).toBe('×1.50');
    expect(formatRatio(12.345)).toBe('×12.3');
    expect(formatRatio(1234.5)).toBe('×1235');
    expect(formatRatio(0.004)).toBe('×0.00');
    expect(formatRatio(0)).toBe('gone');
    expect(formatRatio(Infinity)).toBe('new');
    expect(formatRatio(Number.NaN)).toBe('—');
  });
});

describe('comparisonFromAnswer (the server /compare answer)', () => {
  /** Rows shaped as server_ext/charts/comparison.py compare_rows makes them. */
  function answerRow(instance: string, a: ProfileRow | null, b: ProfileRow | null) {
    return {
      instance,
      display_name: instance.split('$')[0],
      line: 1,
      col: 1,
      in_a: a !== null,
      in_b: b !== null,
      a_count: a?.count ?? 0,
      a_inclusive_ns: a?.inclusive_ns ?? 0,
      a_exclusive_ns: a?.exclusive_ns ?? 0,
      b_count: b?.count ?? 0,
      b_inclusive_ns: b?.inclusive_ns ?? 0,
      b_exclusive_ns: b?.exclusive_ns ?? 0
    };
  }
  const byInstance = (rows: ProfileRow[], instance: string) =>
    rows.find(r => r.instance === instance) ?? null;
  const instances = ['lra$1$0', 'dot$2$8', 'dot$3$21', 'add$4$8', 'fused_axpy$4$8'];
  const answer = {
    rows: instances.map(i => answerRow(i, byInstance(UNOPTIMIZED.rows, i), byInstance(OPTIMIZED.rows, i)))
  };

  it('keys by instance and sorts by inclusive difference, as the server does', () => {
    const comparison = comparisonFromAnswer(answer);
    expect(comparison.key).toBe('instance');
    expect(comparison.rows.map(r => r.key)).toEqual([
      'lra$1$0',
      'add$4$8',
      'dot$2$8',
      'fused_axpy$4$8',
      'dot$3$21'
    ]);
    expect(comparisonRowFor(comparison, 'add$4$8')?.b).toBeNull();
    expect(comparisonRowFor(comparison, 'fused_axpy$4$8')?.ratio.inclusive_ns).toBe(Infinity);
    expect(comparison.onlyA).toBe(1);
    expect(comparison.onlyB).toBe(1);
  });

  it('agrees with comparing the two profiles directly', () => {
    for (const key of ['instance', 'display_name'] as const) {
      const direct = compareProfiles(UNOPTIMIZED, OPTIMIZED, { key, sortBy: 'inclusive_ns' });
      expect(comparisonFromAnswer(answer, { key })).toEqual(direct);
    }
  });
});
