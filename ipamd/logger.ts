import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import type { Config } from './config.ts';

export type Logger = winston.Logger;

/** The log names pods, containers and addresses: only ipamd's user reads it. */
export const LOG_FILE_MODE = 0o600;

/**
 * Creates the log file with LOG_FILE_MODE, or narrows an existing one that others can read (an
 * older ipamd wrote 0644). Returns the mode it had when it was narrowed.
 */
function preparePrivateFile(path: string): number | undefined {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const fd = openSync(path, 'a', LOG_FILE_MODE);
  try {
    const mode = fstatSync(fd).mode & 0o7777;
    if ((mode & ~LOG_FILE_MODE) === 0) return undefined;
    fchmodSync(fd, LOG_FILE_MODE);
    return mode;
  } finally {
    closeSync(fd);
  }
}

/** Structured JSON logs at the configured level, to stdout/stderr or a file (upstream's LOG_FILE). */
export function createLogger(cfg: Pick<Config, 'logLevel' | 'logFile'>): Logger {
  const toFile = cfg.logFile !== 'stdout' && cfg.logFile !== 'stderr';
  const narrowed = toFile ? preparePrivateFile(cfg.logFile) : undefined;
  const transport = toFile
    ? new winston.transports.File({ filename: cfg.logFile, options: { flags: 'a', mode: LOG_FILE_MODE } })
    : new winston.transports.Console({ stderrLevels: cfg.logFile === 'stderr' ? ['debug', 'info', 'warn', 'error'] : ['error'] });
  const logger = winston.createLogger({
    level: cfg.logLevel,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { component: 'ipamd' },
    transports: [transport],
  });
  if (narrowed !== undefined) {
    logger.warn('the log file was readable by others; narrowed its mode', { path: cfg.logFile, from: narrowed.toString(8), to: LOG_FILE_MODE.toString(8) });
  }
  return logger;
}

/** A logger that drops everything, for tests of units that take a logger. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
