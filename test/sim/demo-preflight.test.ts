/**
 * The demo's preflight (issue 9 item 5): which tools are missing, as whom, with or without apt-get
 * -> run the whole demo, install with apt-get, or explain and run the partial demo. The decision is
 * pure; the install is driven through a recording runner (nothing is installed or removed here).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { installPackages, planPreflight, type PreflightFacts, type Runner } from '../../cluster/demo-preflight.ts';

const root: PreflightFacts = { privilegeProblem: undefined, root: true, aptGet: true, missingTools: [], noInstall: false };
const fresh = { ...root, missingTools: ['ip', 'ping', 'iptables-restore'] };

describe('demo preflight: the decision', () => {
  test('everything there: the whole demo', () => {
    assert.deepEqual(planPreflight(root), { kind: 'full' });
  });

  test('root with apt-get on a fresh machine: install exactly the missing packages', () => {
    assert.deepEqual(planPreflight(fresh), { kind: 'install', packages: ['iproute2', 'iputils-ping', 'iptables'] });
    assert.deepEqual(planPreflight({ ...root, missingTools: ['ping'] }), { kind: 'install', packages: ['iputils-ping'] });
    assert.deepEqual(planPreflight({ ...root, missingTools: ['nsenter'] }), { kind: 'install', packages: ['util-linux'] });
  });

  test('--no-install: explain, with the command to run', () => {
    assert.deepEqual(planPreflight({ ...fresh, noInstall: true }), {
      kind: 'partial',
      why: 'needs ip, ping, iptables-restore (Debian packages iproute2, iputils-ping, iptables)',
      hint: 'Not installing them (--no-install); install them with: sudo apt-get install -y iproute2 iputils-ping iptables',
    });
  });

  test('no apt-get: explain, pointing at the system package manager', () => {
    const plan = planPreflight({ ...fresh, aptGet: false });
    assert.equal(plan.kind, 'partial');
    assert.match((plan as { hint: string }).hint, /apt-get is not available here/);
  });

  test('capabilities but not uid 0 (cannot run apt-get): explain with sudo', () => {
    assert.deepEqual(planPreflight({ ...fresh, missingTools: ['ping'], root: false }), {
      kind: 'partial',
      why: 'needs ping (Debian packages iputils-ping)',
      hint: 'Install them with: sudo apt-get install -y iputils-ping',
    });
  });

  test('not root: the partial demo, saying root would install what is missing too', () => {
    const plan = planPreflight({ ...fresh, root: false, privilegeProblem: 'needs root (missing CAP_NET_ADMIN and CAP_SYS_ADMIN)' });
    assert.deepEqual(plan, {
      kind: 'partial',
      why: 'needs root (missing CAP_NET_ADMIN and CAP_SYS_ADMIN)',
      hint: 'For the whole demo run it as root: sudo npm run demo (it also needs iproute2, iputils-ping, iptables, which it installs itself where apt-get is available).',
    });
    const tooled = planPreflight({ ...root, root: false, privilegeProblem: 'needs root (missing CAP_NET_ADMIN)' });
    assert.equal((tooled as { hint: string }).hint, 'For the whole demo run it as root: sudo npm run demo.');
  });
});

describe('demo preflight: the install', () => {
  const recording = (codes: Record<string, number>) => {
    const calls: string[] = [];
    const runner: Runner = async (file, args) => {
      calls.push(`${file} ${args.join(' ')}`);
      return { code: codes[args[1]!] ?? 0, output: `line 1\nline 2\nE: ${args[1]} went wrong` };
    };
    return { calls, runner };
  };

  test('apt-get update, then install of the packages, each said', async () => {
    const { calls, runner } = recording({});
    const said: string[] = [];
    assert.equal(await installPackages(['iproute2', 'iptables'], (l) => said.push(l), runner), true);
    assert.deepEqual(calls, ['apt-get -q update', 'apt-get -q install -y --no-install-recommends iproute2 iptables']);
    assert.match(said[0]!, /needs iproute2, iptables; installing them with apt-get \(running as root; --no-install skips this\)/);
    assert.deepEqual(said.slice(1), ['  apt-get -q update', '  apt-get -q install -y --no-install-recommends iproute2 iptables', '  installed\n']);
  });

  test('a failed step stops there and shows the end of its output', async () => {
    const { calls, runner } = recording({ update: 100 });
    const said: string[] = [];
    assert.equal(await installPackages(['iputils-ping'], (l) => said.push(l), runner), false);
    assert.deepEqual(calls, ['apt-get -q update']);
    assert.match(said.at(-1)!, /apt-get update failed \(exit 100\):\n {4}line 1\n {4}line 2\n {4}E: update went wrong$/);
  });
});
