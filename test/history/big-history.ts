/**
 * A realistic address history of any size, written straight to files as the journal writes them:
 * pods churning over `addresses` addresses (a start, then its end), a kernel audit mark every 500
 * lines, a new file every `maxFileBytes` beginning with a snapshot of what is open. For the reader's
 * load test and `npm run bench -- history`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeLine, type Holding } from '../../ipamd/history/record.ts';
import { historyFileName } from '../../ipamd/history/reader.ts';

/** Writes `lines` lines of history into `dir`; returns the bytes written and the file count. */
export function writeRealisticHistory(dir: string, lines: number, opts: { addresses?: number; maxFileBytes?: number } = {}): { bytes: number; files: number } {
  const addresses = opts.addresses ?? 250;
  const maxFileBytes = opts.maxFileBytes ?? 16 << 20;
  const open = new Map<string, Holding>();
  const t0 = Date.UTC(2026, 10, 1);
  let t = t0;
  let buf: string[] = [];
  let size = 0;
  let bytes = 0;
  let files = 0;
  let began = t;
  const flush = () => {
    writeFileSync(join(dir, historyFileName(began)), buf.join(''), { mode: 0o600 });
    files++;
    bytes += size;
    buf = [];
    size = 0;
  };
  const push = (text: string) => {
    buf.push(text);
    size += text.length;
  };
  push(encodeLine({ e: 'snapshot', at: t, open: [] }));
  for (let n = 0, pod = 0; n < lines; n++) {
    t += 1000;
    if (size >= maxFileBytes) {
      flush();
      began = t;
      push(encodeLine({ e: 'snapshot', at: t, open: [...open.values()] }));
    }
    const ip = `10.0.${(pod % addresses) >> 8}.${(pod % addresses) & 255}`;
    if (n % 500 === 499) push(encodeLine({ e: 'seen', at: t, missing: [] }));
    else if (open.has(ip)) {
      const h = open.get(ip)!;
      open.delete(ip);
      push(encodeLine({ e: 'end', ip, since: h.at, containerId: h.containerId, at: t, how: 'del' }));
      pod++;
    } else {
      const id = String(pod).padStart(12, '0');
      const h: Holding = {
        ip, at: t, how: 'add', namespace: 'shop', name: `checkout-7d9f8c6b5-${id.slice(-5)}`, uid: `5b1c2d3e-0000-4000-8000-${id}`,
        network: 'vpcwire', containerId: `${id}`.padStart(64, 'c'), ifName: 'eth0', eniId: 'eni-0abc1234def567890', hostVeth: `eni${id.slice(-11)}`,
      };
      open.set(ip, h);
      push(encodeLine({ e: 'start', ...h }));
    }
  }
  flush();
  return { bytes, files };
}
