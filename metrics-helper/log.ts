/** JSON lines on stdout, one object per event (what the cluster's log pipeline ingests). */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Log {
  (level: Level, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLog(write: (line: string) => void = (l) => process.stdout.write(l), minLevel: Level = 'info'): Log {
  const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return (level, msg, fields = {}) => {
    if (order[level] < order[minLevel]) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, component: 'metrics-helper', msg, ...fields })}\n`);
  };
}
