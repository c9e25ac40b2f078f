/**
 * What the demo's kernel part needs, and getting it (issue 9 item 5): on a fresh Debian machine the
 * README's main command ran only the partial demo until iproute2, iputils-ping and iptables were
 * installed by hand. As root with apt-get, `npm run demo` now installs what is missing (saying so);
 * otherwise it says what is missing and how to get it, and the partial demo runs as before.
 *
 * planPreflight() is the decision, pure (facts in, plan out); probeFacts() and installPackages()
 * are the I/O around it.
 */
import { spawn } from 'node:child_process';
import { privilegeProblem } from '../sim/dataplane/preflight.ts';
import { run } from '../sim/dataplane/ip.ts';

/** Each program the kernel part execs, and the Debian package that has it. */
export const KERNEL_TOOLS: readonly { readonly tool: string; readonly pkg: string }[] = [
  { tool: 'ip', pkg: 'iproute2' },
  { tool: 'ping', pkg: 'iputils-ping' },
  { tool: 'iptables-restore', pkg: 'iptables' },
  { tool: 'nsenter', pkg: 'util-linux' },
];

export interface PreflightFacts {
  /** Why namespaces cannot be made (platform, capabilities), or undefined. */
  readonly privilegeProblem: string | undefined;
  /** uid 0: may run apt-get. */
  readonly root: boolean;
  readonly aptGet: boolean;
  /** Tools of KERNEL_TOOLS not on PATH. */
  readonly missingTools: readonly string[];
  /** --no-install: never install, only explain. */
  readonly noInstall: boolean;
}

export type PreflightPlan =
  | { readonly kind: 'full' }
  | { readonly kind: 'install'; readonly packages: readonly string[] }
  /** `why` completes "the kernel part ..."; `hint` says how to get the whole demo. */
  | { readonly kind: 'partial'; readonly why: string; readonly hint: string };

const packagesFor = (tools: readonly string[]): string[] => [
  ...new Set(KERNEL_TOOLS.filter((t) => tools.includes(t.tool)).map((t) => t.pkg)),
];

export function planPreflight(f: PreflightFacts): PreflightPlan {
  const packages = packagesFor(f.missingTools);
  const install = `apt-get install -y ${packages.join(' ')}`;
  if (f.privilegeProblem) {
    const also = packages.length ? ` (it also needs ${packages.join(', ')}, which it installs itself where apt-get is available)` : '';
    return { kind: 'partial', why: f.privilegeProblem, hint: `For the whole demo run it as root: sudo npm run demo${also}.` };
  }
  if (packages.length === 0) return { kind: 'full' };
  const why = `needs ${f.missingTools.join(', ')} (Debian packages ${packages.join(', ')})`;
  if (f.noInstall) return { kind: 'partial', why, hint: `Not installing them (--no-install); install them with: sudo ${install}` };
  if (!f.aptGet) return { kind: 'partial', why, hint: "apt-get is not available here: install them with this system's package manager." };
  if (!f.root) return { kind: 'partial', why, hint: `Install them with: sudo ${install}` };
  return { kind: 'install', packages };
}

const onPath = async (tool: string): Promise<boolean> => (await run('sh', ['-c', `command -v ${tool}`]).catch(() => undefined))?.code === 0;

export async function probeFacts(noInstall: boolean): Promise<PreflightFacts> {
  const missingTools: string[] = [];
  for (const { tool } of KERNEL_TOOLS) if (!(await onPath(tool))) missingTools.push(tool);
  return {
    privilegeProblem: await privilegeProblem(),
    root: process.getuid?.() === 0,
    aptGet: await onPath('apt-get'),
    missingTools,
    noInstall,
  };
}

export interface Runner {
  (file: string, args: readonly string[]): Promise<{ code: number | null; output: string }>;
}

/** Runs a command with apt-get's non-interactive environment, its output collected. */
export const aptRunner: Runner = (file, args) =>
  new Promise((resolve) => {
    const child = spawn(file, args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (e) => resolve({ code: null, output: e.message }));
    child.on('close', (code) => resolve({ code, output }));
  });

/**
 * apt-get update, then apt-get install of the packages, each step said; on failure the end of
 * apt-get's output and false (the caller runs the partial demo).
 */
export async function installPackages(packages: readonly string[], say: (line: string) => void, runner: Runner = aptRunner): Promise<boolean> {
  say(`vpcwire demo: the kernel part needs ${packages.join(', ')}; installing them with apt-get (running as root; --no-install skips this)...`);
  for (const args of [['-q', 'update'], ['-q', 'install', '-y', '--no-install-recommends', ...packages]]) {
    say(`  apt-get ${args.join(' ')}`);
    const r = await runner('apt-get', args);
    if (r.code !== 0) {
      const tail = r.output.trim().split('\n').slice(-5).map((l) => `    ${l}`);
      say([`  apt-get ${args[1]} failed (exit ${r.code ?? 'not started'}):`, ...tail].join('\n'));
      return false;
    }
  }
  say('  installed\n');
  return true;
}
