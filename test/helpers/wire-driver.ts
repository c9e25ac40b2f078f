/**
 * Runs one cni/wire operation in the netns this process was started in, so tests can put the
 * wiring's "node side" inside a namespace they created (the plugin itself always works in the
 * netns the runtime execs it in). stdin: {"op": "wire"|"unwire"|"gc"|"check", "arg": {...}};
 * stdout: {"ok": result} or {"error": {"code", "message"}}.
 */
import { readFileSync } from 'node:fs';
import { checkPod, removePodInterface, removePodRules, removeStaleAddress, WireError, wirePod } from '../../cni/wire/pod.ts';

type Arg = { netnsPath: string; ifName: string; podIp?: string; vethPrefix?: string };
const { op, arg } = JSON.parse(readFileSync(0, 'utf8')) as { op: string; arg: never };

/** What the plugin's DEL does in the kernel: the pod's end in its netns, then the address's rules. */
async function unwire(a: Arg): Promise<void> {
  await removePodInterface(a.netnsPath, a.ifName);
  if (a.podIp) await removePodRules(a.podIp);
}

try {
  const ok =
    op === 'wire'
      ? await wirePod(arg)
      : op === 'unwire'
        ? await unwire(arg)
        : op === 'gc'
          ? await removeStaleAddress((arg as Arg).podIp!, (arg as Arg).vethPrefix!)
          : await checkPod(arg);
  process.stdout.write(JSON.stringify({ ok: ok ?? null }));
} catch (e) {
  const code = e instanceof WireError ? e.code : 'THROWN';
  process.stdout.write(JSON.stringify({ error: { code, message: (e as Error).message } }));
}
