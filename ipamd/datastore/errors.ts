/**
 * The datastore's one error family (DESIGN.md §8: stable string codes, never classified by
 * message). The gRPC layer maps codes to statuses; POOL_EMPTY becomes the plugin's CNI code 11.
 */
export type DatastoreErrorCode =
  /** no free, non-cooling address on any ENI: the pool must grow (try again later) */
  | 'POOL_EMPTY'
  /** a pool call names an ENI the datastore does not hold */
  | 'UNKNOWN_ENI'
  /** removal refused: the ENI / address / prefix has assigned or cooling addresses */
  | 'ADDRESS_IN_USE'
  /** the call contradicts the current state (address on another ENI, device index taken, ...) */
  | 'CONFLICT'
  /** malformed argument; the message names the field and the value */
  | 'INVALID_ARGUMENT'
  /** the checkpoint is unreadable or corrupt and could not be preserved, or was reported as such */
  | 'CHECKPOINT_CORRUPT'
  /** writing the checkpoint failed; the change was NOT applied */
  | 'CHECKPOINT_IO'
  /** an allocation call arrived before restore(): answering it could overwrite the ledger on disk */
  | 'NOT_READY'
  /** a broken invariant (e.g. the injected chooser picked a busy address); a bug, never retried */
  | 'INTERNAL';

export class DatastoreError extends Error {
  readonly code: DatastoreErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(
    code: DatastoreErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DatastoreError';
    this.code = code;
    this.details = options?.details;
  }
}

/** The pool has no address to give right now (DESIGN.md §5: the plugin answers CNI code 11). */
export class PoolEmptyError extends DatastoreError {
  constructor(message: string, details: Record<string, unknown>) {
    super('POOL_EMPTY', message, { details });
    this.name = 'PoolEmptyError';
  }
}

export function isDatastoreError(e: unknown, code?: DatastoreErrorCode): e is DatastoreError {
  return e instanceof DatastoreError && (code === undefined || e.code === code);
}

export function invalid(field: string, expected: string, value: unknown): DatastoreError {
  return new DatastoreError('INVALID_ARGUMENT', `${field}: expected ${expected}, got ${describe(value)}`, {
    details: { field },
  });
}

/** A short, safe rendering of an offending value for messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
