/**
 * The clock of one ingest: time since it began (its result's `seconds`, its metrics' duration) and the
 * consecutive phases it went through, logged at debug level to show where an ingest spends its time.
 * Each phase ends at a mark and lasts from the previous mark (or the start) to its own.
 */
export class PhaseTimer {
  private readonly started = performance.now();
  private readonly marks: [name: string, at: number][] = [];

  /** Ends phase `name` now. */
  mark(name: string): void {
    this.marks.push([name, performance.now()]);
  }

  /** Runs `step` and ends phase `name` once it succeeds. */
  async phase<T>(name: string, step: () => Promise<T>): Promise<T> {
    const value = await step();
    this.mark(name);
    return value;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  /** Each phase's length in whole milliseconds, in the order they ended. */
  phasesMs(): Record<string, number> {
    const out: Record<string, number> = {};
    let previous = this.started;
    for (const [name, at] of this.marks) {
      out[name] = Math.round(at - previous);
      previous = at;
    }
    return out;
  }
}
