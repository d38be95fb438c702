/**
 * A refresh loop for the panel's lists: calls a function, waits, calls again.
 *
 * The interval may change between ticks (fast while a job is active, slow otherwise);
 * `refresh()` runs a tick now. It does not run while stopped, and never runs two ticks at once.
 */
export class RefreshLoop {
  private timer: number | null = null;
  private running = false;
  private stopped = true;
  private again = false;

  constructor(
    private readonly tick: () => Promise<void>,
    private readonly intervalMs: () => number
  ) {}

  /** Starts ticking (the first tick runs now). */
  start(): void {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    void this.refresh();
  }

  /** Stops ticking. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Runs a tick now (or right after the one in progress). */
  async refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
    this.running = true;
    try {
      await this.tick();
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      return this.refresh();
    }
    if (!this.stopped) {
      this.timer = window.setTimeout(() => {
        this.timer = null;
        void this.refresh();
      }, this.intervalMs());
    }
  }
}
