/**
 * `vpcwire health [--socket P]`: the DaemonSet's liveness and readiness probe (issue 12 item 2).
 * grpc.health.v1 Check on ipamd's gRPC socket, as upstream's probe runs grpc-health-probe: exit 0
 * only when ipamd answers SERVING (its start sequence done, not shutting down); 1 otherwise, with
 * one line saying why (the kubelet shows it in the pod's events). It speaks gRPC through
 * api/health-probe.ts (node:http2), not grpc-js: it runs twice every 10 s on every node.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_GRPC_SOCKET } from '../contract/paths.ts';
import { probeHealth } from './api/health-probe.ts';

export const HEALTH_USAGE = `vpcwire health options:
  --socket PATH      ipamd's socket (default $VPCWIRE_SOCKET or /run/vpcwire/ipamd.sock)
  --timeout-ms N     how long to wait for the answer (default 5000)
exit status: 0 SERVING, 1 anything else (not serving, no answer), 2 bad options`;

export async function runHealthCommand(args: string[]): Promise<number> {
  let values: { socket?: string; 'timeout-ms'?: string; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: { socket: { type: 'string' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (e) {
    process.stderr.write(`vpcwire health: ${(e as Error).message}\n\n${HEALTH_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HEALTH_USAGE}\n`);
    return 0;
  }
  const timeoutRaw = values['timeout-ms'] ?? '5000';
  if (!/^[1-9]\d*$/.test(timeoutRaw)) {
    process.stderr.write(`vpcwire health: --timeout-ms must be a positive integer, not ${JSON.stringify(timeoutRaw)}\n`);
    return 2;
  }
  const socket = values.socket ?? process.env.VPCWIRE_SOCKET ?? DEFAULT_GRPC_SOCKET;
  if (!socket.startsWith('/')) {
    process.stderr.write(`vpcwire health: --socket must be an absolute path, not ${JSON.stringify(socket)}\n`);
    return 2;
  }
  try {
    const status = await probeHealth(socket, Number(timeoutRaw));
    if (status === 'SERVING') {
      process.stdout.write(`ipamd at ${socket}: SERVING\n`);
      return 0;
    }
    process.stderr.write(`vpcwire health: ipamd at ${socket} answers ${status}\n`);
    return 1;
  } catch (e) {
    // Only on failure: status-cli.ts says plainly what is wrong with the socket.
    const problem = await (await import('./status-cli.ts')).socketProblem(socket);
    process.stderr.write(`vpcwire health: ${problem ?? `no health answer from ${socket}: ${(e as Error).message}`}\n`);
    return 1;
  }
}
