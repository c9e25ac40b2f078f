/**
 * The datastore's errors: IpamdError's `IPAMD_DATASTORE_*` family (ipamd/errors.ts; DESIGN.md §8).
 * The API maps them to statuses by class (api/status-map.ts): PoolEmptyError becomes the plugin's
 * CNI code 11, DatastoreArgumentError INVALID_ARGUMENT, the rest INTERNAL.
 */
import { IpamdError } from '../errors.ts';

export type DatastoreErrorCode =
  /** no free, non-cooling address on any ENI: the pool must grow (try again later); PoolEmptyError */
  | 'IPAMD_DATASTORE_POOL_EMPTY'
  /** a pool call names an ENI the datastore does not hold */
  | 'IPAMD_DATASTORE_UNKNOWN_ENI'
  /** removal refused: the ENI / address / prefix has assigned or cooling addresses */
  | 'IPAMD_DATASTORE_ADDRESS_IN_USE'
  /** the call contradicts the current state (address on another ENI, device index taken, ...) */
  | 'IPAMD_DATASTORE_CONFLICT'
  /** malformed argument; the message names the field and the value; DatastoreArgumentError */
  | 'IPAMD_DATASTORE_INVALID_ARGUMENT'
  /** the checkpoint is unreadable or corrupt and could not be preserved, or was reported as such */
  | 'IPAMD_DATASTORE_CHECKPOINT_CORRUPT'
  /** writing the checkpoint failed; the change was NOT applied */
  | 'IPAMD_DATASTORE_CHECKPOINT_IO'
  /** an allocation call arrived before restore(): answering it could overwrite the ledger on disk */
  | 'IPAMD_DATASTORE_NOT_READY'
  /** a broken invariant (e.g. the injected chooser picked a busy address); a bug, never retried */
  | 'IPAMD_DATASTORE_INTERNAL';

/** The codes thrown as a plain DatastoreError; the other two have their own class. */
type PlainDatastoreCode = Exclude<DatastoreErrorCode, 'IPAMD_DATASTORE_POOL_EMPTY' | 'IPAMD_DATASTORE_INVALID_ARGUMENT'>;

export class DatastoreError extends IpamdError {
  declare readonly code: DatastoreErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(code: PlainDatastoreCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
    this.name = 'DatastoreError';
    this.details = options?.details;
  }
}

/** The pool has no address to give right now (DESIGN.md §5: the plugin answers CNI code 11). */
export class PoolEmptyError extends DatastoreError {
  declare readonly code: 'IPAMD_DATASTORE_POOL_EMPTY';
  constructor(message: string, details: Record<string, unknown>) {
    // The one place this code is thrown: the cast lets the subclass pass what the public constructor refuses.
    super('IPAMD_DATASTORE_POOL_EMPTY' as PlainDatastoreCode, message, { details });
    this.name = 'PoolEmptyError';
  }
}

/** A malformed argument; the message names the field and the value (the API answers INVALID_ARGUMENT). */
export class DatastoreArgumentError extends DatastoreError {
  declare readonly code: 'IPAMD_DATASTORE_INVALID_ARGUMENT';
  constructor(message: string, details?: Record<string, unknown>) {
    super('IPAMD_DATASTORE_INVALID_ARGUMENT' as PlainDatastoreCode, message, details === undefined ? undefined : { details });
    this.name = 'DatastoreArgumentError';
  }
}

export function isDatastoreError(e: unknown, code?: DatastoreErrorCode): e is DatastoreError {
  return e instanceof DatastoreError && (code === undefined || e.code === code);
}

export function invalid(field: string, expected: string, value: unknown): DatastoreArgumentError {
  return new DatastoreArgumentError(`${field}: expected ${expected}, got ${describe(value)}`, { field });
}

/** A short, safe rendering of an offending value for messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
