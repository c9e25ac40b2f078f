/** Order statistics for benchmark samples (milliseconds). */
export interface Summary {
  n: number;
  median: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, median: at(0.5), p90: at(0.9), p99: at(0.99), min: s[0]!, max: s.at(-1)! };
}

export const fmt = (ms: number): string => `${ms.toFixed(3)} ms`;
