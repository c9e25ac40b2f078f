/**
 * Runs one cni/wire operation in the netns this process was started in, so tests can put the
 * wiring's "node side" inside a namespace they created (the plugin itself always works in the
 * netns the runtime execs it in). stdin: {"op": "wire"|"unwire"|"check", "arg": {...}};
 * stdout: {"ok": result} or {"error": {"code", "message"}}.
 */
import { readFileSync } from 'node:fs';
import { checkPod, unwirePod, WireError, wirePod } from '../../cni/wire/pod.ts';

const { op, arg } = JSON.parse(readFileSync(0, 'utf8')) as { op: string; arg: never };
try {
  const ok = op === 'wire' ? await wirePod(arg) : op === 'unwire' ? await unwirePod(arg) : await checkPod(arg);
  process.stdout.write(JSON.stringify({ ok: ok ?? null }));
} catch (e) {
  const code = e instanceof WireError ? e.code : 'THROWN';
  process.stdout.write(JSON.stringify({ error: { code, message: (e as Error).message } }));
}
