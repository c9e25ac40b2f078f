/**
 * Where one invocation's time goes: milliseconds from the process's start (so exec and Node's own
 * start-up are included) to each named point. Written to the plugin's log line; the benchmark
 * reads it to report where the plugin's time goes. process.uptime() is the clock: the first touch
 * of the `performance` global loads perf_hooks, about a millisecond of every pod's start.
 */
const sinceStart = (): number => process.uptime() * 1000;

export class Phases {
  readonly #marks: [string, number][] = [];

  constructor() {
    // The first line of the plugin's own code: what precedes it is exec and Node's bootstrap.
    this.#marks.push(['node', sinceStart()]);
  }

  mark(name: string): void {
    this.#marks.push([name, sinceStart()]);
  }

  /** {"node": 31.2, "ipam": 36.0, ...}: each value the time since the process started. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#marks.map(([k, v]) => [k, Math.round(v * 100) / 100]));
  }
}
