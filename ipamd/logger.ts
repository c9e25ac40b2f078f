import winston from 'winston';
import type { Config } from './config.ts';

export type Logger = winston.Logger;

/** Structured JSON logs at the configured level, to stdout/stderr or a file (upstream's LOG_FILE). */
export function createLogger(cfg: Pick<Config, 'logLevel' | 'logFile'>): Logger {
  const transport =
    cfg.logFile === 'stdout' || cfg.logFile === 'stderr'
      ? new winston.transports.Console({ stderrLevels: cfg.logFile === 'stderr' ? ['debug', 'info', 'warn', 'error'] : ['error'] })
      : new winston.transports.File({ filename: cfg.logFile });
  return winston.createLogger({
    level: cfg.logLevel,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { component: 'ipamd' },
    transports: [transport],
  });
}

/** A logger that drops everything, for tests of units that take a logger. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
