import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Poller } from './poller';

describe('Poller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs now, then every interval after each run, until stopped', async () => {
    const run = vi.fn(() => Promise.resolve());
    const p = new Poller({ intervalMs: 3000, run });
    p.start();
    p.start(); // no second loop
    await vi.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(6000);
    expect(run).toHaveBeenCalledTimes(4);
    p.stop();
    expect(p.running).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(run).toHaveBeenCalledTimes(4);
  });

  it('never overlaps runs; a poke during a run runs once more after it', async () => {
    let release: () => void = () => undefined;
    let active = 0;
    let maxActive = 0;
    const run = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          active++;
          maxActive = Math.max(maxActive, active);
          release = () => {
            active--;
            resolve();
          };
        }),
    );
    const p = new Poller({ intervalMs: 1000, run });
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    p.poke();
    p.poke();
    await vi.advanceTimersByTimeAsync(5000);
    expect(run).toHaveBeenCalledTimes(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(2); // the coalesced poke
    release();
    await vi.advanceTimersByTimeAsync(999);
    expect(run).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(run).toHaveBeenCalledTimes(3);
    expect(maxActive).toBe(1);
    p.stop();
    release();
  });

  it('poke runs at once between runs, and does nothing when stopped', async () => {
    const run = vi.fn(() => Promise.resolve());
    const p = new Poller({ intervalMs: 10_000, run });
    p.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(run).not.toHaveBeenCalled();
    p.start();
    await vi.advanceTimersByTimeAsync(100);
    p.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(run).toHaveBeenCalledTimes(3);
    p.stop();
  });

  it('backs off after failures, bounded, and recovers', async () => {
    let fail = true;
    const run = vi.fn(() => (fail ? Promise.reject(new Error('down')) : Promise.resolve()));
    const p = new Poller({ intervalMs: 1000, maxIntervalMs: 5000, run });
    expect([0, 1, 2, 3, 10].map((f) => p.nextDelay(f))).toEqual([1000, 2000, 4000, 5000, 5000]);
    p.start();
    await vi.advanceTimersByTimeAsync(0); // fails (1)
    await vi.advanceTimersByTimeAsync(2000); // fails (2)
    await vi.advanceTimersByTimeAsync(4000); // fails (3)
    expect(run).toHaveBeenCalledTimes(3);
    fail = false;
    await vi.advanceTimersByTimeAsync(5000); // succeeds
    expect(run).toHaveBeenCalledTimes(4);
    await vi.advanceTimersByTimeAsync(1000); // back to the interval
    expect(run).toHaveBeenCalledTimes(5);
    p.stop();
  });
});
