/**
 * The one place handler errors become statuses (issue 3 item 7; DESIGN.md §4), by class, never by
 * reading a `code` off an arbitrary object nor by message (DESIGN.md §8; issue 10 item 5).
 */
import { status } from '@grpc/grpc-js';
// The marker the CNI plugin looks for to answer CNI error 11 ("try again later", DESIGN.md §5).
import { POOL_EMPTY_MARKER } from '../../contract/api.ts';
import { DatastoreArgumentError, PoolEmptyError } from '../datastore/errors.ts';
import { IpamdError } from '../errors.ts';
import { ApiStatusError } from './errors.ts';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Handler error -> status: PoolEmptyError -> RESOURCE_EXHAUSTED "POOL_EMPTY: ...";
 * DatastoreArgumentError -> INVALID_ARGUMENT; any other IpamdError -> INTERNAL "<code>: ...";
 * anything else (bugs) -> INTERNAL with the message.
 */
export function mapHandlerError(err: unknown): ApiStatusError {
  if (err instanceof ApiStatusError) return err;
  const message = messageOf(err);
  const cause = { cause: err };
  if (err instanceof PoolEmptyError) return new ApiStatusError('IPAMD_API_POOL_EMPTY', `${POOL_EMPTY_MARKER} ${message}`, cause);
  if (err instanceof DatastoreArgumentError) return new ApiStatusError('IPAMD_API_INVALID_ARGUMENT', message, cause);
  return new ApiStatusError('IPAMD_API_INTERNAL', err instanceof IpamdError ? `${err.code}: ${message}` : message, cause);
}

/** The log level a failure deserves: a crash is an error; a refused or empty-pool call a warning. */
export const logLevelFor = (grpcCode: status): 'error' | 'warn' =>
  grpcCode === status.INTERNAL ? 'error' : 'warn';

/** status enum value -> its name, for client-side error codes and logs. */
export const statusName = (grpcCode: number): string =>
  (Object.entries(status).find(([, v]) => v === grpcCode)?.[0] as string | undefined) ?? `STATUS_${grpcCode}`;
