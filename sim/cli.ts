import { parseArgs } from 'node:util';
import { type Emulator, startEmulator } from './emulator.ts';
import { assertLoopback } from './http/server.ts';
import { formatIpv4 } from './ipv4.ts';
import { PROFILES } from './profiles.ts';

export const SIM_USAGE = `vpcwire sim options:
  --topology FILE     topology JSON (default: sim/topologies/default.json)
  --profile NAME      ${Object.keys(PROFILES).join(' | ')} (default: fast)
  --data-plane        also build the kernel data plane: a netns per instance behind a VPC router (root)
  --no-throttling     disable EC2 and CloudWatch request throttling
  --host ADDR         loopback address to serve on: 127.0.0.0/8 or ::1 (default 127.0.0.1)
  --ec2-port N, --sts-port N, --cloudwatch-port N, --admin-port N   fixed ports (default: ephemeral)
  --json              print the endpoints as one JSON line instead of text
  --once              print the endpoints and stop (a smoke check)`;

function portOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${name} must be a port number, got '${v}'`);
  return n;
}

export function describeEmulator(sim: Emulator) {
  return {
    region: sim.region,
    accountId: sim.accountId,
    endpoints: sim.endpoints,
    credentials: sim.credentials,
    instances: [...sim.state.instances.values()].map((i) => ({
      name: sim.state.tags.get(i.id)?.get('Name') ?? '',
      instanceId: i.id,
      type: i.limits.instanceType,
      availabilityZone: i.availabilityZone,
      privateIp: formatIpv4(sim.state.enis.get(i.primaryEniId)!.primaryIp),
      imds: sim.imdsEndpoint(i.id),
      netns: sim.dataPlane?.nodeNetns(i.id),
    })),
  };
}

function printText(sim: Emulator, profile: string): void {
  const d = describeEmulator(sim);
  const lines = [
    `vpcwire VPC emulator (profile ${profile}), region ${d.region}, account ${d.accountId}`,
    '',
    `  EC2    ${d.endpoints.ec2}`,
    `  STS    ${d.endpoints.sts}`,
    `  CloudWatch ${d.endpoints.cloudwatch}   (PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics)`,
    `  admin  ${d.endpoints.admin}   (GET /state, GET /log, POST /faults/...)`,
    '',
    '  instances:',
    ...d.instances.map(
      (i) =>
        `    ${i.name.padEnd(8)} ${i.instanceId}  ${i.type.padEnd(10)} ${i.availabilityZone}  ${i.privateIp.padEnd(15)} IMDS ${i.imds}${i.netns ? `  netns ${i.netns}` : ''}`,
    ),
    '',
    '  point the AWS SDK or CLI at it:',
    `    export AWS_REGION=${d.region}`,
    `    export AWS_ENDPOINT_URL_EC2=${d.endpoints.ec2}`,
    `    export AWS_ENDPOINT_URL_STS=${d.endpoints.sts}`,
    `    export AWS_ENDPOINT_URL_CLOUDWATCH=${d.endpoints.cloudwatch}`,
    `    export AWS_ACCESS_KEY_ID=${d.credentials.accessKeyId}`,
    `    export AWS_SECRET_ACCESS_KEY=${d.credentials.secretAccessKey}`,
    '',
    'Ctrl-C stops it and removes everything it created.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function runSimCommand(args: string[]): Promise<number> {
  if (args[0] === 'cleanup') {
    const { cleanupStaleNamespaces } = await import('./dataplane/cleanup.ts');
    const removed = await cleanupStaleNamespaces();
    process.stdout.write(removed.length ? `removed ${removed.join(', ')}\n` : 'nothing to clean up\n');
    return 0;
  }
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (e) {
    process.stderr.write(`vpcwire sim: ${(e as Error).message}\n\n${SIM_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${SIM_USAGE}\n`);
    return 0;
  }
  if (values.host !== undefined) {
    try {
      assertLoopback(values.host, '--host');
    } catch (e) {
      process.stderr.write(`vpcwire sim: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const profile = values.profile ?? 'fast';
  if (!PROFILES[profile]) {
    process.stderr.write(
      `vpcwire sim: --profile must be one of ${Object.keys(PROFILES).join(', ')}, got '${profile}'\n`,
    );
    return 2;
  }
  const sim = await startEmulator({
    ...(values.topology ? { topology: values.topology } : {}),
    profile,
    throttling: !values['no-throttling'],
    dataPlane: values['data-plane'] ?? false,
    ...(values.host ? { host: values.host } : {}),
    ports: {
      ec2: portOpt(values['ec2-port'], 'ec2-port'),
      sts: portOpt(values['sts-port'], 'sts-port'),
      cloudwatch: portOpt(values['cloudwatch-port'], 'cloudwatch-port'),
      admin: portOpt(values['admin-port'], 'admin-port'),
    },
  });
  if (values.json) process.stdout.write(`${JSON.stringify(describeEmulator(sim))}\n`);
  else printText(sim, profile);
  if (values.once) {
    await sim.stop();
    return 0;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.stop();
  if (!values.json) process.stdout.write('emulator stopped\n');
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      topology: { type: 'string' },
      profile: { type: 'string' },
      'data-plane': { type: 'boolean' },
      'no-throttling': { type: 'boolean' },
      host: { type: 'string' },
      'ec2-port': { type: 'string' },
      'sts-port': { type: 'string' },
      'cloudwatch-port': { type: 'string' },
      'admin-port': { type: 'string' },
      json: { type: 'boolean' },
      once: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
