// Poller runs an async task now and then every interval after it completes:
// never two at once, doubling the wait after failures (up to a bound), and
// nothing after stop(). poke() asks for a run now; a poke while a run is in
// flight runs once more when that run ends.

export interface PollerOptions {
  /** Wait between the end of one run and the start of the next. */
  intervalMs: number;
  /** Upper bound of the wait after repeated failures (default 8 × interval). */
  maxIntervalMs?: number;
  /** The task; a rejection counts as a failure. */
  run: () => Promise<unknown>;
  setTimer?: (cb: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export class Poller {
  private timer: unknown = null;
  private active = false;
  private inflight = false;
  private again = false;
  private failures = 0;
  private readonly setTimer: (cb: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly opts: PollerOptions) {
    this.setTimer = opts.setTimer ?? ((cb, ms) => setTimeout(cb, ms));
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  }

  get running(): boolean {
    return this.active;
  }

  /** start runs the task now and keeps polling; starting a running poller does nothing. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.failures = 0;
    void this.tick();
  }

  stop(): void {
    this.active = false;
    this.again = false;
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  /** poke runs the task as soon as possible (only while started). */
  poke(): void {
    if (!this.active) return;
    if (this.inflight) {
      this.again = true;
      return;
    }
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    void this.tick();
  }

  /** nextDelay is the wait after `failures` failed runs in a row. */
  nextDelay(failures = this.failures): number {
    const max = this.opts.maxIntervalMs ?? this.opts.intervalMs * 8;
    return Math.min(max, this.opts.intervalMs * 2 ** Math.min(failures, 30));
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (!this.active || this.inflight) return;
    this.inflight = true;
    try {
      await this.opts.run();
      this.failures = 0;
    } catch {
      this.failures++;
    } finally {
      this.inflight = false;
    }
    if (!this.active) return;
    if (this.again) {
      this.again = false;
      void this.tick();
      return;
    }
    this.timer = this.setTimer(() => void this.tick(), this.nextDelay());
  }
}
