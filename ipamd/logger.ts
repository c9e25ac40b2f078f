/**
 * ipamd's log (issue 13 item 6): JSON lines, one per event, at the level of
 * AWS_VPC_K8S_CNI_LOGLEVEL, to stdout (default: `kubectl logs`), stderr, or the file named by
 * AWS_VPC_K8S_CNI_LOG_FILE, rotated by size with a bounded number of rotated files
 * (VPCWIRE_LOG_MAX_SIZE_MB, VPCWIRE_LOG_MAX_FILES; ../durable/rotating-log.ts).
 *
 * A line: {"level":"info","message":"...","component":"ipamd","timestamp":"2026-12-02T21:36:01.123Z",
 * ...fields}. The levels are zap's names (upstream's), the timestamp RFC 3339 in UTC with
 * milliseconds; the keys stay winston's `message` and `timestamp` (tools and tests read them).
 *
 * The file is written synchronously, one write(2) per line: nothing is lost when ipamd exits right
 * after logging (process.exit on a fatal error), lines never interleave, and rotation never drops
 * one (winston's own File transport did both here: see rotating-log.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';
import { appendLine, LOG_FILE_MODE, type RotationLimits } from '../durable/rotating-log.ts';
import { IpamdError } from './errors.ts';
import type { Config } from './config.ts';

export type Logger = winston.Logger;
export { LOG_FILE_MODE };

/** Where winston's formats leave the finished line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/** winston's transport base class: at run time `winston.Transport` (its types call it `transport`). */
const TransportStream = (winston as unknown as { Transport: typeof import('winston-transport') }).Transport;

/** A winston transport appending each formatted line to a rotating private file. */
class RotatingFileTransport extends TransportStream {
  readonly #path: string;
  readonly #limits: RotationLimits;
  /** The mode an existing file had when it was opened and narrowed (an older ipamd wrote 0644). */
  readonly narrowedFrom: number | undefined;
  #reported = false;

  constructor(path: string, limits: RotationLimits) {
    super();
    this.#path = path;
    this.#limits = limits;
    // Created (or narrowed) now, so a file ipamd cannot write stops it at start, not silently later,
    // with an error that names the variable (EISDIR, EACCES, EROFS alone name nothing to fix).
    try {
      this.narrowedFrom = appendLine(path, '').narrowedFrom;
    } catch (e) {
      throw new IpamdError('IPAMD_CONFIG_INVALID', `AWS_VPC_K8S_CNI_LOG_FILE=${path}: ipamd cannot write its log there: ${(e as Error).message}`, { cause: e });
    }
  }

  override log(info: Record<string | symbol, unknown>, done: () => void): void {
    try {
      appendLine(this.#path, `${String(info[MESSAGE])}\n`, this.#limits);
    } catch (e) {
      // Logging must not stop ipamd; say once on stderr that the log cannot be written.
      if (!this.#reported) process.stderr.write(`ipamd: cannot write the log ${this.#path}: ${(e as Error).message}\n`);
      this.#reported = true;
    }
    done();
  }
}

/** Structured JSON logs at the configured level, to stdout/stderr or a rotating file. */
export function createLogger(cfg: Pick<Config, 'logLevel' | 'logFile' | 'logRotation'>): Logger {
  const toFile = cfg.logFile !== 'stdout' && cfg.logFile !== 'stderr';
  let file: RotatingFileTransport | undefined;
  if (toFile) {
    try {
      mkdirSync(dirname(cfg.logFile), { recursive: true, mode: 0o755 });
    } catch (e) {
      throw new IpamdError('IPAMD_CONFIG_INVALID', `AWS_VPC_K8S_CNI_LOG_FILE=${cfg.logFile}: cannot create its directory: ${(e as Error).message}`, { cause: e });
    }
    file = new RotatingFileTransport(cfg.logFile, cfg.logRotation);
  }
  const transport =
    file ?? new winston.transports.Console({ stderrLevels: cfg.logFile === 'stderr' ? ['debug', 'info', 'warn', 'error'] : ['error'] });
  const logger = winston.createLogger({
    level: cfg.logLevel,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { component: 'ipamd' },
    transports: [transport],
  });
  if (file?.narrowedFrom !== undefined) {
    logger.warn('the log file was readable by others; narrowed its mode', { path: cfg.logFile, from: file.narrowedFrom.toString(8), to: LOG_FILE_MODE.toString(8) });
  }
  return logger;
}

/** A logger that drops everything, for tests of units that take a logger. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
