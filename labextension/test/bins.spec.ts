import {
  BinnedWindow,
  MAX_BINS,
  TimeWindow,
  binEdges,
  binMiddles,
  binIndexAt,
  binNs,
  binsFor,
  covers,
  nsPerPx,
  nsToPx,
  pxToNs,
  requestWindow,
  sliceBins,
  sliceCategories
} from '../src/model';
import { seeded } from './random';

const TOTAL = 10_000_000_000; // a 10 s trace

function expectServerValid(request: BinnedWindow, total: number): void {
  expect(Number.isInteger(request.begin)).toBe(true);
  expect(Number.isInteger(request.end)).toBe(true);
  expect(Number.isInteger(request.bins)).toBe(true);
  expect(request.begin).toBeGreaterThanOrEqual(0);
  expect(request.end).toBeLessThanOrEqual(Math.max(1, Math.ceil(total)));
  expect(request.end).toBeGreaterThan(request.begin);
  expect(request.bins).toBeGreaterThanOrEqual(1);
  expect(request.bins).toBeLessThanOrEqual(MAX_BINS);
}

describe('pixels and nanoseconds', () => {
  const range = { begin: 1000, end: 5000 };

  it('maps the edges and the middle', () => {
    expect(nsToPx(1000, range, 400)).toBe(0);
    expect(nsToPx(5000, range, 400)).toBe(400);
    expect(nsToPx(3000, range, 400)).toBe(200);
    expect(pxToNs(0, range, 400)).toBe(1000);
    expect(pxToNs(400, range, 400)).toBe(5000);
    expect(pxToNs(100, range, 400)).toBe(2000);
    expect(nsPerPx(range, 400)).toBe(10);
  });

  it('extrapolates outside the view and survives a zero width or span', () => {
    expect(nsToPx(0, range, 400)).toBe(-100);
    expect(pxToNs(500, range, 400)).toBe(6000);
    expect(pxToNs(10, range, 0)).toBe(1000);
    expect(nsToPx(10, { begin: 5, end: 5 }, 400)).toBe(0);
  });

  it('round-trips px → ns → px and ns → px → ns (property loop)', () => {
    const random = seeded(11);
    for (let i = 0; i < 5000; i++) {
      const begin = random() * TOTAL;
      const view = { begin, end: begin + 1000 + random() * TOTAL };
      const width = 1 + Math.floor(random() * 4000);
      const px = random() * width;
      expect(nsToPx(pxToNs(px, view, width), view, width)).toBeCloseTo(px, 4);
      const ns = view.begin + random() * (view.end - view.begin);
      const back = pxToNs(nsToPx(ns, view, width), view, width);
      expect(Math.abs(back - ns)).toBeLessThan(1e-9 * TOTAL);
    }
  });
});

describe('binsFor', () => {
  it('gives one bin per pixel within 1..MAX_BINS', () => {
    expect(binsFor(800)).toBe(800);
    expect(binsFor(800.4)).toBe(800);
    expect(binsFor(800.6)).toBe(801);
    expect(binsFor(0)).toBe(1);
    expect(binsFor(-5)).toBe(1);
    expect(binsFor(Number.NaN)).toBe(1);
    expect(binsFor(10_000)).toBe(10_000);
    expect(binsFor(25_000)).toBe(MAX_BINS);
    expect(binsFor(Infinity)).toBe(MAX_BINS);
  });
});

describe('bin edges and indices', () => {
  const window: BinnedWindow = { begin: 100, end: 110, bins: 4 };

  it('cuts the window as the server does', () => {
    expect(binNs(window)).toBe(2.5);
    expect(binEdges(window)).toEqual([100, 102.5, 105, 107.5, 110]);
    expect(binEdges({ begin: 0, end: 1, bins: 3 })[3]).toBe(1);
  });

  it('puts bin middles where the server puts its chart rows (0.1 ns)', () => {
    expect(binMiddles({ begin: 100, end: 110, bins: 4 })).toEqual([101.3, 103.8, 106.3, 108.8]);
    expect(binMiddles({ begin: 0, end: 3, bins: 3 })).toEqual([0.5, 1.5, 2.5]);
    expect(binMiddles({ begin: 0, end: 1, bins: 1 })).toHaveLength(1);
  });

  it('finds the bin holding a time; half-open at the right', () => {
    expect(binIndexAt(window, 99)).toBe(-1);
    expect(binIndexAt(window, 100)).toBe(0);
    expect(binIndexAt(window, 102.49)).toBe(0);
    expect(binIndexAt(window, 102.5)).toBe(1);
    expect(binIndexAt(window, 109.99)).toBe(3);
    expect(binIndexAt(window, 110)).toBe(4);
  });

  it('agrees with the edges everywhere (property loop)', () => {
    const random = seeded(5);
    for (let i = 0; i < 300; i++) {
      const begin = Math.floor(random() * 1e6);
      const w: BinnedWindow = {
        begin,
        end: begin + 1 + Math.floor(random() * 1e7),
        bins: 1 + Math.floor(random() * 2000)
      };
      const edges = binEdges(w);
      for (let j = 0; j < 20; j++) {
        const ns = w.begin + random() * (w.end - w.begin);
        const index = binIndexAt(w, ns);
        expect(edges[index]).toBeLessThanOrEqual(ns + 1e-6);
        expect(ns).toBeLessThan(edges[index + 1] + 1e-6);
      }
    }
  });
});

describe('requestWindow (spill-over)', () => {
  it('adds half the span on each side at one bin per pixel', () => {
    const request = requestWindow({ begin: 4e9, end: 5e9 }, 1000, TOTAL);
    expect(request).toEqual({ begin: 3.5e9, end: 5.5e9, bins: 2000 });
    expect(binNs(request)).toBe(1e6); // the visible resolution: 1e9 ns / 1000 px
  });

  it('takes another spill', () => {
    expect(requestWindow({ begin: 4e9, end: 5e9 }, 1000, TOTAL, 0)).toEqual({
      begin: 4e9,
      end: 5e9,
      bins: 1000
    });
    expect(requestWindow({ begin: 4e9, end: 5e9 }, 1000, TOTAL, 1)).toEqual({
      begin: 3e9,
      end: 6e9,
      bins: 3000
    });
    expect(requestWindow({ begin: 4e9, end: 5e9 }, 1000, TOTAL, Number.NaN).bins).toBe(1000);
  });

  it('is clamped to the trace at both ends, without moving the cut part over', () => {
    expect(requestWindow({ begin: 0, end: 1e9 }, 1000, TOTAL)).toEqual({
      begin: 0,
      end: 1.5e9,
      bins: 1500
    });
    expect(requestWindow({ begin: 9.5e9, end: TOTAL }, 500, TOTAL)).toEqual({
      begin: 9.25e9,
      end: TOTAL,
      bins: 750
    });
    expect(requestWindow({ begin: 0, end: TOTAL }, 800, TOTAL)).toEqual({
      begin: 0,
      end: TOTAL,
      bins: 800
    });
  });

  it('shrinks the spill before passing MAX_BINS, and caps very wide views', () => {
    const wide = requestWindow({ begin: 4e9, end: 5e9 }, 8000, TOTAL);
    expect(wide.bins).toBe(MAX_BINS);
    expect(binNs(wide)).toBeCloseTo(1e9 / 8000, 6);
    expect(wide.begin).toBe(4e9 - 1000 * (1e9 / 8000));
    const huge = requestWindow({ begin: 4e9, end: 5e9 }, 20_000, TOTAL);
    expect(huge).toEqual({ begin: 4e9, end: 5e9, bins: MAX_BINS });
  });

  it('never asks for bins under one ns, nor an empty window', () => {
    const deep = requestWindow({ begin: 500, end: 1500 }, 1500, TOTAL);
    expect(deep).toEqual({ begin: 0, end: 2000, bins: 2000 });
    const tiny = requestWindow({ begin: 7.2, end: 7.4 }, 800, TOTAL);
    expectServerValid(tiny, TOTAL);
    expect(tiny.begin).toBeLessThanOrEqual(7.2);
    expect(tiny.end).toBeGreaterThanOrEqual(7.4);
    expectServerValid(requestWindow({ begin: 0, end: 0 }, 800, 0), 0);
    expectServerValid(requestWindow({ begin: 5, end: 5 }, 800, 5), 5);
  });

  it('is valid for the server and covers the view for random windows (property loop)', () => {
    const random = seeded(21);
    for (let i = 0; i < 3000; i++) {
      const total = Math.floor(1 + random() * TOTAL);
      const window = new TimeWindow(total, { minSpanNs: 1000 });
      window.set(random() * total, random() * total);
      const width = Math.floor(50 + random() * 12_000);
      const spill = random();
      const request = requestWindow(window.range, width, total, spill);
      expectServerValid(request, total);
      expect(covers(request, window.range, width, total)).toBe(true);
    }
  });
});

describe('covers', () => {
  const visible = { begin: 4e9, end: 5e9 };
  const fetched = requestWindow(visible, 1000, TOTAL);

  it('reuses the answer for pans within the spill', () => {
    const window = new TimeWindow(TOTAL, { initial: visible });
    expect(covers(fetched, window.range, 1000)).toBe(true);
    window.panBy(4.9e8);
    expect(covers(fetched, window.range, 1000)).toBe(true);
    window.panBy(2e7);
    expect(covers(fetched, window.range, 1000)).toBe(false);
    window.set(3.5e9, 4.5e9);
    expect(covers(fetched, window.range, 1000)).toBe(true);
    window.panBy(-1);
    expect(covers(fetched, window.range, 1000)).toBe(false);
  });

  it('asks again when zooming in past the tolerated blur, not when zooming out within the spill', () => {
    const window = new TimeWindow(TOTAL, { initial: visible });
    window.zoomAt(0.7, 4.5e9);
    expect(covers(fetched, window.range, 1000)).toBe(true);
    window.zoomAt(0.8, 4.5e9); // 0.56 of the span: bins 1.8 px wide
    expect(covers(fetched, window.range, 1000)).toBe(false);
    expect(covers(fetched, window.range)).toBe(true); // without a width, only containment counts
    const out = new TimeWindow(TOTAL, { initial: visible });
    out.zoomAt(1.8, 4.5e9);
    expect(covers(fetched, out.range, 1000)).toBe(true);
    out.zoomAt(1.2, 4.5e9);
    expect(covers(fetched, out.range, 1000)).toBe(false);
    expect(covers(fetched, visible, 700)).toBe(true);
    expect(covers(fetched, visible, 1600)).toBe(false); // the view got wider
  });

  it('knows nothing covers when nothing was fetched', () => {
    expect(covers(null, visible)).toBe(false);
    expect(covers(undefined, visible, 100)).toBe(false);
  });

  it('accepts a view past the trace end when told the trace length', () => {
    const end = requestWindow({ begin: 9e9, end: TOTAL }, 1000, TOTAL);
    expect(covers(end, { begin: 9e9, end: TOTAL + 5 }, 1000)).toBe(false);
    expect(covers(end, { begin: 9e9, end: TOTAL + 5 }, 1000, TOTAL)).toBe(true);
  });
});

describe('sliceBins and sliceCategories', () => {
  it('gives back the fetched values when the view is the fetched window', () => {
    const fetched: BinnedWindow = { begin: 0, end: 400, bins: 4 };
    const values = [0.1, 0.2, 0.3, 0.4];
    expect(sliceBins(fetched, values, fetched, 4)).toEqual(values);
    expect(sliceCategories(fetched, [0, 1, null, 2], fetched, 4)).toEqual([0, 1, null, 2]);
  });

  it('picks out the visible pixels of a spilled answer', () => {
    const visible = { begin: 4e9, end: 5e9 };
    const fetched = requestWindow(visible, 1000, TOTAL); // 2000 bins over [3.5e9, 5.5e9)
    const values = Array.from({ length: fetched.bins }, (_, i) => i);
    const sliced = sliceBins(fetched, values, visible, 1000);
    expect(sliced).toHaveLength(1000);
    sliced.forEach((value, px) => expect(value).toBeCloseTo(500 + px, 6));
    const categories = sliceCategories(fetched, values, visible, 1000);
    expect(categories).toEqual(values.slice(500, 1500));
  });

  it('averages bins by overlap when several fall in a pixel', () => {
    const fetched: BinnedWindow = { begin: 0, end: 8, bins: 8 };
    expect(sliceBins(fetched, [1, 0, 1, 0, 1, 1, 0, 0], fetched, 4)).toEqual([0.5, 0.5, 1, 0]);
    expect(sliceBins(fetched, [1, 0, 1, 0, 1, 1, 0, 0], { begin: 1, end: 7 }, 2)).toEqual([
      1 / 3,
      2 / 3
    ]);
  });

  it('repeats a coarse bin over the pixels it spans', () => {
    const fetched: BinnedWindow = { begin: 0, end: 100, bins: 2 };
    expect(sliceBins(fetched, [0.25, 0.75], { begin: 25, end: 75 }, 4)).toEqual([
      0.25, 0.25, 0.75, 0.75
    ]);
  });

  it('leaves pixels without data null: outside the answer, or null/NaN bins', () => {
    const fetched: BinnedWindow = { begin: 100, end: 200, bins: 2 };
    expect(sliceBins(fetched, [null, 0.5], { begin: 50, end: 250 }, 4)).toEqual([
      null,
      null,
      0.5,
      null
    ]);
    expect(sliceBins(fetched, [Number.NaN, 0.5], fetched, 2)).toEqual([null, 0.5]);
    expect(sliceBins(fetched, [0.1], fetched, 2)).toEqual([0.1, null]); // a short answer
    expect(sliceCategories(fetched, ['a', 'b'], { begin: 50, end: 250 }, 4)).toEqual([
      null,
      'a',
      'b',
      null
    ]);
    expect(sliceBins(fetched, [0.1, 0.2], { begin: 5, end: 5 }, 3)).toEqual([null, null, null]);
  });

  it('keeps the mean of a uniform signal whatever the windows (property loop)', () => {
    const random = seeded(8);
    for (let i = 0; i < 300; i++) {
      const begin = Math.floor(random() * 1e6);
      const fetched: BinnedWindow = {
        begin,
        end: begin + 1000 + Math.floor(random() * 1e6),
        bins: 1 + Math.floor(random() * 3000)
      };
      const span = fetched.end - fetched.begin;
      const low = fetched.begin + random() * span * 0.5;
      const visible = { begin: low, end: low + (0.01 + random() * 0.49) * span };
      const width = 1 + Math.floor(random() * 1500);
      const sliced = sliceBins(fetched, new Array<number>(fetched.bins).fill(0.42), visible, width);
      expect(sliced).toHaveLength(width);
      const worst = Math.max(...sliced.map(value => Math.abs((value ?? Infinity) - 0.42)));
      expect(worst).toBeLessThan(1e-9);
    }
  });
});
