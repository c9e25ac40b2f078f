/** `vpcwire max-pods` (issue 11 item 6), run as the operator runs it: the real CLI in a subprocess. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const BIN = new URL('../../bin/vpcwire.ts', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'max-pods', ...args], { encoding: 'utf8' });

test('prints the number alone on stdout, exit 0', () => {
  const cases: [string[], string][] = [
    [['--instance-type', 't3.small'], '11'],
    [['--instance-type', 'm5.large', '--custom-networking'], '20'], // 2 x 9 + 2
    [['--instance-type', 'm5.large', '--prefix-delegation', '--cni-version', '1.9.0', '--vcpus', '2'], '110'],
    [['--instance-type', 'm5.large', '--prefix-delegation', '--show-max-allowed'], '434'],
    [['--instance-type', 'm5.8xlarge', '--vcpus', '32', '--cni-version', 'v1.11.2-eksbuild.1'], '234'],
    [['--instance-type', 't3.small', '--prefix-delegation', '--max-eni', '1'], '50'], // 1 x 3 x 16 + 2
    [['--instance-type', 'p5.48xlarge', '--show-max-allowed'], '100'], // default card only: 2 x 49 + 2
  ];
  for (const [args, expected] of cases) {
    const r = run(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, `${expected}\n`, args.join(' '));
    assert.equal(r.stderr, '', args.join(' '));
  }
});

test('prefixes on a type the calculator does not count as Nitro: secondary IPs, and a note on stderr', () => {
  const xen = run('--instance-type', 'm4.xlarge', '--prefix-delegation');
  assert.equal(xen.status, 0);
  assert.equal(xen.stdout, '58\n');
  assert.match(xen.stderr, /note: m4\.xlarge is not a Nitro type \(hypervisor xen\)/);
  const metal = run('--instance-type', 'c5.metal', '--prefix-delegation', '--show-max-allowed');
  assert.equal(metal.stdout, '737\n');
  assert.match(metal.stderr, /c5\.metal is bare metal/);
});

test('bad input: exit 2 and a message naming what is wrong', () => {
  const cases: [string[], RegExp][] = [
    [[], /--instance-type is required/],
    [['--custom-networking'], /--instance-type is required/],
    [['--instance-type'], /'--instance-type <value>' argument missing/],
    [['--instance-type', 'm5.larg'], /unknown instance type 'm5\.larg': not in data\/ec2-instance-network-limits\.json .*m5 types: .*m5\.large/],
    [['--instance-type', 'zz9.huge'], /unknown instance type 'zz9\.huge'/],
    [['--instance-type', 'm5.large', '--max-eni', '0'], /--max-eni must be a positive integer, got '0'/],
    [['--instance-type', 'm5.large', '--max-eni', '2.5'], /--max-eni must be a positive integer, got '2\.5'/],
    [['--instance-type', 'm5.large', '--max-eni', 'two'], /--max-eni must be a positive integer, got 'two'/],
    [['--instance-type', 'm5.large', '--vcpus=-4'], /--vcpus must be a positive integer, got '-4'/],
    [['--instance-type', 'm5.large', '--frobnicate'], /Unknown option '--frobnicate'[\s\S]*vpcwire max-pods options:/],
    [['--instance-type', 'm5.large', 'extra'], /Unexpected argument 'extra'/],
    [['--instance-type', 'm5.large', '--cni-version', 'latest'], /--cni-version must be a version such as 1\.9\.0.*got 'latest'/],
    [
      ['--instance-type', 'm5.large', '--prefix-delegation', '--cni-version', '1.8.4'],
      /--prefix-delegation needs VPC CNI 1\.9\.0 or later .*--cni-version is 1\.8\.4/,
    ],
    // The ceiling needs the vCPUs, which the data file does not hold: say both answers, print neither.
    [['--instance-type', 'm5.8xlarge'], /m5\.8xlarge: the answer depends on its vCPUs.*110 with at most 30 vCPUs, 234 with more.*--vcpus N/],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '', args.join(' '));
    assert.match(r.stderr, /^vpcwire max-pods: /, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('--help prints the options, exit 0; vpcwire --help lists max-pods', () => {
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--instance-type T[\s\S]*--prefix-delegation[\s\S]*--custom-networking[\s\S]*--max-eni N[\s\S]*--cni-version/);
  const top = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  assert.match(top.stdout, /\n {2}max-pods +print kubelet's max pods/);
});
