// Opt-in timing of the live path, read by the end-to-end harness. Off unless
// localStorage "eddy.perf" is "1"; samples are kept in bounded rings.

const RING = 4096;

class Perf {
  readonly enabled: boolean;
  private rings = new Map<string, number[]>();

  constructor() {
    let on = false;
    try {
      on = typeof localStorage !== 'undefined' && localStorage.getItem('eddy.perf') === '1';
    } catch {
      on = false;
    }
    this.enabled = on;
  }

  /** record adds one sample (milliseconds) to a named ring. */
  record(name: string, ms: number): void {
    if (!this.enabled) return;
    let r = this.rings.get(name);
    if (!r) this.rings.set(name, (r = []));
    r.push(ms);
    if (r.length > RING) r.splice(0, r.length - RING);
  }

  /** time runs fn and records how long it took. */
  time<T>(name: string, fn: () => T): T {
    if (!this.enabled) return fn();
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.record(name, performance.now() - t0);
    }
  }

  samples(name: string): number[] {
    return (this.rings.get(name) ?? []).slice();
  }

  reset(): void {
    this.rings.clear();
  }
}

export const perf = new Perf();

if (perf.enabled && typeof window !== 'undefined') (window as unknown as { __eddyPerf: Perf }).__eddyPerf = perf;
