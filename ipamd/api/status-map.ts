/**
 * gRPC statuses the API answers with, and the one place handler errors become statuses
 * (issue 3 item 7; DESIGN.md §4). Errors are classified by their stable string `code`, never by
 * their message (DESIGN.md §8).
 */
import { status } from '@grpc/grpc-js';
// The marker the CNI plugin looks for to answer CNI error 11 ("try again later", DESIGN.md §5).
import { POOL_EMPTY_MARKER } from '../../contract/api.ts';

/** A call that fails with a chosen status. */
export class RpcFailure extends Error {
  readonly grpcCode: status;
  constructor(grpcCode: status, message: string) {
    super(message);
    this.name = 'RpcFailure';
    this.grpcCode = grpcCode;
  }
}

const codeOf = (err: unknown): unknown =>
  typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Handler error -> status: code 'POOL_EMPTY' -> RESOURCE_EXHAUSTED "POOL_EMPTY: ...";
 * 'INVALID_ARGUMENT' -> INVALID_ARGUMENT; anything else (bugs included) -> INTERNAL with the message.
 */
export function mapHandlerError(err: unknown): RpcFailure {
  if (err instanceof RpcFailure) return err;
  const code = codeOf(err);
  const message = messageOf(err);
  if (code === 'POOL_EMPTY') return new RpcFailure(status.RESOURCE_EXHAUSTED, `${POOL_EMPTY_MARKER} ${message}`);
  if (code === 'INVALID_ARGUMENT') return new RpcFailure(status.INVALID_ARGUMENT, message);
  return new RpcFailure(status.INTERNAL, typeof code === 'string' ? `${code}: ${message}` : message);
}

/** The log level a failure deserves: a crash is an error; a refused or empty-pool call a warning. */
export const logLevelFor = (grpcCode: status): 'error' | 'warn' =>
  grpcCode === status.INTERNAL ? 'error' : 'warn';

/** status enum value -> its name, for client-side error codes and logs. */
export const statusName = (grpcCode: number): string =>
  (Object.entries(status).find(([, v]) => v === grpcCode)?.[0] as string | undefined) ?? `STATUS_${grpcCode}`;
