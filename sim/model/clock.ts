/** Time as the emulator sees it; injected so tests can drive throttling and expiry without sleeping. */
export interface Clock {
  now(): number;
  /** Runs fn after ms; returns a cancel function. Timers never keep the process alive. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};
