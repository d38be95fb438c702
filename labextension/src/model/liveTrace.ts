/**
 * Following a running job's trace: while the server says a trace is live (its metadata's
 * `live: true`, with a `revision` that grows each time more task events came home), ask
 * again every few seconds and hand each new revision to the view, which redraws so its
 * Gantt grows. The job's final trace (live false) is handed over once and ends the loop.
 * Pure logic with injectable timers (no DOM), so jest drives it with fake time.
 */

/** What the view needs to know about a trace's liveness. */
export interface LiveInfo {
  /** Whether the trace is still growing (its job runs). */
  live: boolean;
  /** Its revision (0 for a trace that no longer changes). */
  revision: number;
}

/** The liveness a `/metadata` answer's meta.json states (`meta.metadata.live|revision`). */
export function liveInfo(meta: Record<string, unknown> | null | undefined): LiveInfo {
  const inner = (meta?.metadata ?? {}) as Record<string, unknown>;
  const revision = Number(inner.revision ?? 0);
  return {
    live: inner.live === true,
    revision: Number.isFinite(revision) && revision > 0 ? Math.floor(revision) : 0
  };
}

/** The global timer functions (the model compiles without the DOM's or node's types). */
interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

function timers(): Timers {
  return globalThis as unknown as Timers;
}

/** How a `LiveFollower` is set up. */
export interface LiveFollowerOptions<T> {
  /** Asks the server again (e.g. the trace's `/metadata`). */
  fetch: () => Promise<T>;
  /** The liveness of an answer. */
  info: (answer: T) => LiveInfo;
  /** Called with each answer whose revision or liveness differs from the last one. */
  changed: (answer: T) => void;
  /** Milliseconds between two questions (default 3000). */
  intervalMs?: number;
  /** Failed questions in a row after which it gives up (default 5; e.g. the trace was deleted). */
  maxFailures?: number;
  /** Timer functions (default the global ones; jest passes its fake ones). */
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Asks about a live trace every few seconds until it is final (see the module). */
export class LiveFollower<T> {
  /** Starts following a trace last seen as `current`; nothing happens if it is not live. */
  constructor(options: LiveFollowerOptions<T>, current: LiveInfo) {
    this.options = options;
    this.last = current;
    this.intervalMs = Math.max(100, options.intervalMs ?? 3000);
    this.maxFailures = Math.max(1, options.maxFailures ?? 5);
    this.setTimer = options.setTimer ?? ((callback, ms) => timers().setTimeout(callback, ms));
    this.clearTimer = options.clearTimer ?? (handle => timers().clearTimeout(handle));
    if (current.live) {
      this.schedule();
    }
  }

  /** Whether it still asks (false once the trace is final, it gave up, or was stopped). */
  get active(): boolean {
    return this.timer !== null || this.asking;
  }

  /** How many questions failed in a row. */
  get failures(): number {
    return this.failed;
  }

  /** Stops asking (the view was closed). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    if (this.stopped) {
      return;
    }
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.ask();
    }, this.intervalMs);
  }

  private async ask(): Promise<void> {
    if (this.stopped) {
      return;
    }
    this.asking = true;
    let answer: T;
    try {
      answer = await this.options.fetch();
    } catch {
      this.asking = false;
      this.failed += 1;
      if (this.failed < this.maxFailures) {
        this.schedule();
      }
      return;
    }
    this.asking = false;
    this.failed = 0;
    if (this.stopped) {
      return;
    }
    const info = this.options.info(answer);
    const differs = info.live !== this.last.live || info.revision !== this.last.revision;
    this.last = info;
    try {
      if (differs) {
        this.options.changed(answer);
      }
    } finally {
      if (info.live) {
        this.schedule();
      }
    }
  }

  private readonly options: LiveFollowerOptions<T>;
  private readonly intervalMs: number;
  private readonly maxFailures: number;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private last: LiveInfo;
  private timer: unknown = null;
  private asking = false;
  private stopped = false;
  private failed = 0;
}
