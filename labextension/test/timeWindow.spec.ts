import {
  DEFAULT_MIN_SPAN_NS,
  TimeWindow,
  TimeWindowChange,
  nsToPx,
  wheelZoomFactor
} from '../src/model';
import { seeded } from './random';

const TOTAL = 1_000_000_000; // a 1 s trace

function expectInside(window: TimeWindow): void {
  expect(window.begin).toBeGreaterThanOrEqual(0);
  expect(window.end).toBeLessThanOrEqual(window.totalNs);
  expect(window.span).toBeGreaterThanOrEqual(window.minSpanNs * (1 - 1e-12));
  expect(window.begin).toBeLessThan(window.end);
}

function changes(window: TimeWindow): TimeWindowChange[] {
  const seen: TimeWindowChange[] = [];
  window.changed.connect((_, change) => {
    seen.push(change);
  });
  return seen;
}

describe('TimeWindow basics', () => {
  it('shows the whole trace at first', () => {
    const window = new TimeWindow(TOTAL);
    expect(window.range).toEqual({ begin: 0, end: TOTAL });
    expect(window.isWhole).toBe(true);
    expect(window.minSpanNs).toBe(DEFAULT_MIN_SPAN_NS);
    expect(window.toJSON()).toEqual({ begin: 0, end: TOTAL });
  });

  it('starts from a saved window, refitted', () => {
    expect(new TimeWindow(TOTAL, { initial: { begin: 10, end: 5000 } }).range).toEqual({
      begin: 10,
      end: 5000
    });
    expect(new TimeWindow(TOTAL, { initial: { begin: -50, end: 2 * TOTAL } }).range).toEqual({
      begin: 0,
      end: TOTAL
    });
  });

  it('treats an empty or tiny trace as 1 ns, and caps the minimum span at the trace', () => {
    const empty = new TimeWindow(0);
    expect(empty.range).toEqual({ begin: 0, end: 1 });
    expect(empty.minSpanNs).toBe(1);
    expect(new TimeWindow(Number.NaN).totalNs).toBe(1);
    const short = new TimeWindow(300);
    expect(short.minSpanNs).toBe(300);
    expect(short.zoomAt(0.01, 150)).toBe(false);
  });

  it('set: clamps, swaps, widens to the minimum span around the middle', () => {
    const window = new TimeWindow(TOTAL);
    const seen = changes(window);
    expect(window.set(100_000, 200_000)).toBe(true);
    expect(window.range).toEqual({ begin: 100_000, end: 200_000 });
    expect(window.set(100_000, 200_000)).toBe(false); // no change, no signal
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({
      previous: { begin: 0, end: TOTAL },
      current: { begin: 100_000, end: 200_000 }
    });

    window.set(200_000, 100_000);
    expect(window.range).toEqual({ begin: 100_000, end: 200_000 });
    window.set(5000, 5100); // 100 ns: widened to 1 µs around 5050
    expect(window.range).toEqual({ begin: 4550, end: 5550 });
    window.set(-10, 300); // a too-small window at the start stays at the start
    expect(window.range).toEqual({ begin: 0, end: 1000 });
    window.set(TOTAL - 10, TOTAL + 500);
    expect(window.range).toEqual({ begin: TOTAL - 1000, end: TOTAL });
    window.set(-5, TOTAL * 3);
    expect(window.range).toEqual({ begin: 0, end: TOTAL });
    window.set(TOTAL * 2, TOTAL * 2 + 1e6); // wholly past the end: moved inside
    expect(window.range).toEqual({ begin: TOTAL - 1e6, end: TOTAL });
    expect(window.set(Number.NaN, 5)).toBe(false);
    window.set(-Infinity, Infinity);
    expect(window.range).toEqual({ begin: 0, end: TOTAL });
  });

  it('reset shows everything again', () => {
    const window = new TimeWindow(TOTAL, { initial: { begin: 5, end: 50_000 } });
    expect(window.reset()).toBe(true);
    expect(window.isWhole).toBe(true);
    expect(window.reset()).toBe(false);
  });

  it('setTotal refits the window', () => {
    const window = new TimeWindow(TOTAL, { initial: { begin: 900_000_000, end: 950_000_000 } });
    expect(window.setTotal(2 * TOTAL)).toBe(false); // still fits
    expect(window.totalNs).toBe(2 * TOTAL);
    expect(window.setTotal(920_000_000)).toBe(true);
    expect(window.range).toEqual({ begin: 870_000_000, end: 920_000_000 });
  });

  it('stops firing after dispose', () => {
    const window = new TimeWindow(TOTAL);
    const seen = changes(window);
    window.dispose();
    expect(window.isDisposed).toBe(true);
    expect(window.panBy(10)).toBe(false);
    expect(seen).toHaveLength(0);
  });
});

describe('TimeWindow.zoomAt keeps the anchor under the cursor', () => {
  it('zooms in at the middle symmetrically', () => {
    const window = new TimeWindow(TOTAL);
    window.zoomAt(0.5, TOTAL / 2);
    expect(window.range).toEqual({ begin: TOTAL / 4, end: (3 * TOTAL) / 4 });
  });

  it('holds random anchors still, within bounds (property loop)', () => {
    const random = seeded(16);
    const width = 800;
    for (let trial = 0; trial < 2000; trial++) {
      const window = new TimeWindow(TOTAL);
      window.set(random() * TOTAL, random() * TOTAL);
      const before = window.range;
      const px = random() * width;
      const anchor = before.begin + (px / width) * (before.end - before.begin);
      // Factors from 1/50 to 50, zooming in and out.
      const factor = Math.exp((random() * 2 - 1) * Math.log(50));
      window.zoomAt(factor, anchor);
      expectInside(window);
      const wanted = (before.end - before.begin) * factor;
      const clampedSpan = Math.min(TOTAL, Math.max(DEFAULT_MIN_SPAN_NS, wanted));
      expect(window.span).toBeCloseTo(clampedSpan, 3);
      const after = nsToPx(anchor, window.range, width);
      const shifted = window.begin === 0 || window.end === TOTAL;
      if (factor <= 1 || !shifted) {
        // Zooming in never needs a shift; zooming out only when it meets a trace end.
        expect(Math.abs(after - px)).toBeLessThan(1e-6 * width);
      }
    }
  });

  it('zooms in and out at the same cursor back to the same window', () => {
    const random = seeded(7);
    for (let trial = 0; trial < 500; trial++) {
      const window = new TimeWindow(TOTAL);
      window.set(0.2 * TOTAL + random() * 0.1 * TOTAL, 0.6 * TOTAL + random() * 0.1 * TOTAL);
      const before = window.range;
      const anchor = before.begin + random() * (before.end - before.begin);
      const factor = 0.05 + random() * 0.9;
      window.zoomAt(factor, anchor);
      window.zoomAt(1 / factor, anchor);
      expect(window.begin).toBeCloseTo(before.begin, 0);
      expect(window.end).toBeCloseTo(before.end, 0);
    }
  });

  it('stops at the minimum span and at the whole trace', () => {
    const window = new TimeWindow(TOTAL);
    const seen = changes(window);
    for (let i = 0; i < 200; i++) {
      window.zoomAt(0.5, 123_456_789);
    }
    expect(window.span).toBeCloseTo(DEFAULT_MIN_SPAN_NS, 6);
    expect(window.begin).toBeLessThanOrEqual(123_456_789);
    expect(window.end).toBeGreaterThanOrEqual(123_456_789);
    const fired = seen.length;
    expect(window.zoomAt(0.5, 123_456_789)).toBe(false); // already at the limit: no signal
    expect(seen).toHaveLength(fired);
    for (let i = 0; i < 200; i++) {
      window.zoomAt(2, 10);
    }
    expect(window.isWhole).toBe(true);
    expect(window.zoomAt(2, 10)).toBe(false);
  });

  it('takes an anchor outside the window at the nearer edge', () => {
    const window = new TimeWindow(TOTAL, { initial: { begin: 1e8, end: 2e8 } });
    window.zoomAt(0.5, -5);
    expect(window.range).toEqual({ begin: 1e8, end: 1.5e8 });
    window.zoomAt(0.5, 9e9);
    expect(window.range).toEqual({ begin: 1.25e8, end: 1.5e8 });
  });

  it('ignores factors that are not finite and positive', () => {
    const window = new TimeWindow(TOTAL);
    for (const factor of [0, -1, Number.NaN, Infinity]) {
      expect(window.zoomAt(factor, 5)).toBe(false);
    }
    expect(window.zoomAt(0.5, Number.NaN)).toBe(false);
  });

  it('zoomAtPixel takes the anchor from the cursor position', () => {
    const window = new TimeWindow(TOTAL);
    window.zoomAtPixel(0.1, 200, 800); // the cursor at a quarter of the width
    expect(window.begin).toBeCloseTo(0.25 * TOTAL - 0.025 * TOTAL, 3);
    expect(nsToPx(0.25 * TOTAL, window.range, 800)).toBeCloseTo(200, 6);
  });

  it('wheelZoomFactor: down zooms out, up in, opposite steps cancel', () => {
    expect(wheelZoomFactor(100)).toBeGreaterThan(1);
    expect(wheelZoomFactor(-100)).toBeLessThan(1);
    expect(wheelZoomFactor(100) * wheelZoomFactor(-100)).toBeCloseTo(1, 12);
    expect(wheelZoomFactor(0)).toBe(1);
    expect(wheelZoomFactor(Number.NaN)).toBe(1);
    expect(wheelZoomFactor(1e9)).toBe(1);
  });
});

describe('TimeWindow panning', () => {
  it('moves by whole spans and stops at both ends', () => {
    const window = new TimeWindow(TOTAL, { initial: { begin: 1e8, end: 2e8 } });
    const seen = changes(window);
    expect(window.panBy(5e7)).toBe(true);
    expect(window.range).toEqual({ begin: 1.5e8, end: 2.5e8 });
    expect(window.panBy(-1e9)).toBe(true);
    expect(window.range).toEqual({ begin: 0, end: 1e8 });
    expect(window.panBy(-1)).toBe(false); // pinned at the start: no signal
    expect(window.panBy(5e9)).toBe(true);
    expect(window.range).toEqual({ begin: TOTAL - 1e8, end: TOTAL });
    expect(window.panBy(1)).toBe(false); // pinned at the end
    expect(window.panBy(0)).toBe(false);
    expect(window.panBy(Number.NaN)).toBe(false);
    expect(seen).toHaveLength(3);
  });

  it('keeps the span through random pans (property loop)', () => {
    const random = seeded(3);
    const window = new TimeWindow(TOTAL, { initial: { begin: 3e8, end: 3.7e8 } });
    for (let i = 0; i < 2000; i++) {
      window.panBy((random() * 2 - 1) * 3e8);
      expectInside(window);
      expect(window.span).toBeCloseTo(7e7, 0);
    }
  });

  it('dragBy: the content follows the pointer', () => {
    const window = new TimeWindow(TOTAL, { initial: { begin: 4e8, end: 5e8 } });
    const grabbed = 4.5e8; // under pixel 400 of 800
    window.dragBy(100, 800); // drag right by 100 px
    expect(nsToPx(grabbed, window.range, 800)).toBeCloseTo(500, 6);
    expect(window.range).toEqual({ begin: 3.875e8, end: 4.875e8 });
    window.dragBy(-200, 800);
    expect(window.range).toEqual({ begin: 4.125e8, end: 5.125e8 });
  });

  it('links every listener to one window (views pan together)', () => {
    const window = new TimeWindow(TOTAL);
    const gantt: number[] = [];
    const utilization: number[] = [];
    window.changed.connect((sender) => gantt.push(sender.begin));
    window.changed.connect((sender) => utilization.push(sender.begin));
    window.zoomAt(0.5, 0);
    window.panBy(1e8);
    expect(gantt).toEqual([0, 1e8]);
    expect(utilization).toEqual(gantt);
  });
});
