import { plural } from '../src/model/format';
import { LaneRow, depths, laneIndex } from '../src/model/lanes';


describe('Gantt lanes', () => {
  const rows: LaneRow[] = [
    [0, 100, 0, 1, 0, 'task'],
    [10, 90, 1, 2, 1, 'inline'],
    [20, 30, 2, 3, 2, 'inline'],
    [95, 99, 1, 4, 1, 'inline']
  ];

  it('stacks nested intervals in lanes', () => {
    expect(depths(rows)).toEqual([0, 1, 2, 1]);
  });

  it('indexes the base chart lanes by GUID so a highlight keeps its lane', () => {
    const index = laneIndex({ intervals: { driver: rows } });
    expect(index?.get('driver')?.get('3')).toEqual([2, 3]);
    expect(index?.get('driver')?.get('4')).toEqual([1, 3]);
    // A GUID past 2^53 comes as text and stays exact.
    const big = laneIndex({ intervals: { w: [[0, 5, 0, '18446744073709551615']] } });
    expect(big?.get('w')?.get('18446744073709551615')).toEqual([0, 1]);
    expect(laneIndex({ intervals: null })).toBeNull();
    expect(laneIndex(null)).toBeNull();
  });
});

describe('plural', () => {
  it('says one worker and 1,000 events', () => {
    expect(plural(1, 'worker')).toBe('1 worker');
    expect(plural(0, 'worker')).toBe('0 workers');
    expect(plural(1000, 'event')).toBe('1,000 events');
    expect(plural(2, 'child', 'children')).toBe('2 children');
  });
});
