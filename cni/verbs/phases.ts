/**
 * Where one invocation's time goes: milliseconds from the process's start (Node's own timeline,
 * so exec and runtime start-up are included) to each named point. Written to the plugin's log
 * line; the benchmark reads it to report where the plugin's time goes.
 */
export class Phases {
  readonly #marks: [string, number][] = [];

  constructor() {
    // nodeTiming.bootstrapComplete: Node ready to run our code, relative to the process's start.
    this.#marks.push(['node', performance.nodeTiming.bootstrapComplete]);
  }

  mark(name: string): void {
    this.#marks.push([name, performance.now()]);
  }

  /** {"node": 31.2, "ipam": 36.0, ...}: each value the time since the process started. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#marks.map(([k, v]) => [k, Math.round(v * 100) / 100]));
  }
}
