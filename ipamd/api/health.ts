/**
 * The standard grpc.health.v1.Health service (doc/health-checking.md in grpc/grpc), so stock
 * probes work (DESIGN.md §4). One status covers the server ("") and the Ipam service: ipamd is
 * NOT_SERVING until its start sequence is done (issue 3 item 6) and again while it shuts down.
 */
import {
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { IPAM_SERVICE } from '../../contract/api.ts';
import type * as wire from '../../contract/messages.ts';

export interface HealthState {
  readonly implementation: UntypedServiceImplementation;
  set(serving: boolean): void;
  isServing(): boolean;
  /** Ends every Watch stream (they would otherwise hold the server open on shutdown). */
  endWatches(): void;
}

const KNOWN = new Set(['', IPAM_SERVICE]);

export function createHealth(): HealthState {
  let serving = false;
  // Every open Watch, and whether it watches a known service (unknown ones stay open, as the spec
  // says, but never change).
  const watchers = new Map<ServerWritableStream<wire.HealthCheckRequest, wire.HealthCheckResponse>, boolean>();
  const current = (): wire.ServingStatus => (serving ? 'SERVING' : 'NOT_SERVING');

  const check = (
    call: ServerUnaryCall<wire.HealthCheckRequest, wire.HealthCheckResponse>,
    callback: sendUnaryData<wire.HealthCheckResponse>,
  ): void => {
    if (!KNOWN.has(call.request.service)) {
      callback({ code: status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
      return;
    }
    callback(null, { status: current() });
  };

  // Watch: the current status now, then every change (the spec allows repeats; we send changes only).
  const watch = (call: ServerWritableStream<wire.HealthCheckRequest, wire.HealthCheckResponse>): void => {
    const known = KNOWN.has(call.request.service);
    watchers.set(call, known);
    call.on('cancelled', () => watchers.delete(call));
    call.on('close', () => watchers.delete(call));
    call.write({ status: known ? current() : 'SERVICE_UNKNOWN' });
  };

  return {
    implementation: { Check: check, Watch: watch } as UntypedServiceImplementation,
    set(next: boolean): void {
      if (next === serving) return;
      serving = next;
      for (const [w, known] of watchers) if (known) w.write({ status: current() });
    },
    isServing: () => serving,
    endWatches(): void {
      for (const w of watchers.keys()) w.end();
      watchers.clear();
    },
  };
}
