/**
 * Runs data plane operations one at a time, in call order. The EC2 model fires operations without
 * awaiting them, so a failure must neither wedge the queue nor surface as an unhandled rejection;
 * it is kept for `settled()` instead.
 */
import { DataPlaneError } from './errors.ts';

const noop = (): void => {};

/**
 * Names the operation in the message and gives every failure a stable code; anything that is not
 * already a DataPlaneError came from running `ip` (IpCommandError, or `ip` failing to start).
 */
function describeFailure(label: string, err: unknown): DataPlaneError {
  const code = err instanceof DataPlaneError ? err.code : 'SIM_DATAPLANE_KERNEL';
  const message = err instanceof Error ? err.message : String(err);
  return new DataPlaneError(code, `${label}: ${message}`, { cause: err });
}

export class OpQueue {
  #tail: Promise<void> = Promise.resolve();
  #firstFailure: DataPlaneError | undefined;

  /** Queues `op`; the returned promise settles with it and is pre-marked as handled. */
  enqueue<T>(label: string, op: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(op).catch((err: unknown) => {
      const failure = describeFailure(label, err);
      this.#firstFailure ??= failure;
      throw failure;
    });
    this.#tail = result.then(noop, noop);
    result.catch(noop);
    return result;
  }

  /** Resolves once everything queued so far has run; rejects with the first failure since the last call. */
  async settled(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#tail;
      await tail;
    } while (tail !== this.#tail); // operations queued while waiting count too
    const failure = this.#firstFailure;
    this.#firstFailure = undefined;
    if (failure) throw failure;
  }
}
