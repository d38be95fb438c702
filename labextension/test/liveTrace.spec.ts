import { LiveFollower, LiveInfo, liveInfo } from '../src/model';

interface Answer {
  meta: Record<string, unknown> | null;
  events: number;
}

function answer(live: boolean, revision: number, events: number): Answer {
  return { meta: { metadata: live ? { live, revision } : { job_id: 'j1' } }, events };
}

/** A server whose answers the test sets, counting the questions. */
class FakeServer {
  current: Answer | Error = answer(true, 1, 10);
  asked = 0;
  fetch = (): Promise<Answer> => {
    this.asked += 1;
    const now = this.current;
    return now instanceof Error ? Promise.reject(now) : Promise.resolve(now);
  };
}

function follow(server: FakeServer, start: LiveInfo, seen: Answer[], maxFailures?: number) {
  return new LiveFollower<Answer>(
    {
      fetch: server.fetch,
      info: a => liveInfo(a.meta),
      changed: a => seen.push(a),
      intervalMs: 1000,
      maxFailures
    },
    start
  );
}

/** Let the timers run for `ms` and the answers' promises settle. */
async function pass(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 250) {
    jest.advanceTimersByTime(250);
    await Promise.resolve();
    await Promise.resolve();
  }
}

describe('liveInfo', () => {
  it('reads live and revision from meta.json', () => {
    expect(liveInfo({ metadata: { live: true, revision: 3 } })).toEqual({ live: true, revision: 3 });
    expect(liveInfo({ metadata: { live: false, revision: 3 } })).toEqual({ live: false, revision: 3 });
    expect(liveInfo({ metadata: {} })).toEqual({ live: false, revision: 0 });
    expect(liveInfo(null)).toEqual({ live: false, revision: 0 });
    expect(liveInfo({ metadata: { live: 'yes', revision: 'x' } })).toEqual({ live: false, revision: 0 });
  });
});

describe('LiveFollower', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('does nothing for a trace that is not live', async () => {
    const server = new FakeServer();
    const seen: Answer[] = [];
    const follower = follow(server, { live: false, revision: 0 }, seen);
    await pass(10_000);
    expect(server.asked).toBe(0);
    expect(follower.active).toBe(false);
  });

  it('asks once per interval, hands over each new revision, and stops at the final trace', async () => {
    const server = new FakeServer();
    const seen: Answer[] = [];
    const follower = follow(server, { live: true, revision: 1 }, seen);
    await pass(3000);
    expect(server.asked).toBe(3);
    expect(seen).toEqual([]); // the same revision: nothing to redraw
    server.current = answer(true, 2, 25);
    await pass(1000);
    expect(seen.map(a => a.events)).toEqual([25]);
    server.current = answer(true, 5, 60);
    await pass(1000);
    server.current = answer(false, 0, 80);
    await pass(1000);
    expect(seen.map(a => a.events)).toEqual([25, 60, 80]);
    expect(follower.active).toBe(false);
    const asked = server.asked;
    await pass(10_000);
    expect(server.asked).toBe(asked); // a final trace is not asked about again
  });

  it('stops when the view closes', async () => {
    const server = new FakeServer();
    const follower = follow(server, { live: true, revision: 1 }, []);
    await pass(2000);
    follower.stop();
    const asked = server.asked;
    await pass(10_000);
    expect(server.asked).toBe(asked);
    expect(follower.active).toBe(false);
  });

  it('retries failed questions, then gives up', async () => {
    const server = new FakeServer();
    const seen: Answer[] = [];
    server.current = new Error('503');
    const follower = follow(server, { live: true, revision: 1 }, seen, 3);
    await pass(2000);
    expect(follower.failures).toBe(2);
    server.current = answer(true, 2, 30);
    await pass(1000);
    expect(follower.failures).toBe(0);
    expect(seen.map(a => a.events)).toEqual([30]);
    server.current = new Error('404: the trace was deleted');
    await pass(10_000);
    expect(server.asked).toBe(3 + 3);
    expect(follower.active).toBe(false);
  });
});
