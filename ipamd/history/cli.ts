/**
 * `vpcwire history <address> [--at <time>] [--dir DIR] [--json]` (issue 13 item 4): which pod held
 * an address, read straight from the history files, so it answers with ipamd down. Root on the
 * node may see container IDs (the files are 0600 root's). Exit 0 with an answer (also "nobody"),
 * 1 when the history cannot be read, 2 for a bad address, time or option (named).
 */
import { parseArgs } from 'node:util';
import { table } from '../text-table.ts';
import { describeSpan, heldAt, HistoryQueryError, iso, newestFirst, parseAddress, parseTime, podLabel, recordJson } from './query.ts';
import { fileBegan, readHistory } from './reader.ts';
import { DEFAULT_HISTORY_DIR, historyDirBeside } from './rotation.ts';

export const HISTORY_USAGE = `vpcwire history <address> [options]

Which pod held a pod address on this node (for an address seen in VPC Flow Logs or a GuardDuty finding).

options:
  --at TIME     the pod holding it at TIME (RFC 3339, such as 2026-12-02T21:14:05Z, or now);
                without --at, every holding of the address, newest first
  --dir DIR     the history directory (default $VPCWIRE_HISTORY_DIR, else history/ beside
                $VPCWIRE_CHECKPOINT, else ${DEFAULT_HISTORY_DIR}), as ipamd chooses it
  --json        print JSON

A holding covers [start, end): at the instant one pod released the address and another took it, the
answer is the new pod.`;

/** Where the command writes: process.stdout and stderr, or a caller's collector. */
export interface TextSink {
  write(text: string): unknown;
}

export async function runHistoryCommand(args: string[], out: TextSink = process.stdout, err: TextSink = process.stderr): Promise<number> {
  let values: { at?: string; dir?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { at: { type: 'string' }, dir: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    err.write(`vpcwire history: ${(e as Error).message}\n\n${HISTORY_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    out.write(`${HISTORY_USAGE}\n`);
    return 0;
  }
  let ip: string;
  let at: number | undefined;
  try {
    if (positionals.length > 1) throw new HistoryQueryError(`one address at a time, got ${positionals.length}: ${positionals.join(' ')}`);
    ip = parseAddress(positionals[0]);
    at = values.at === undefined ? undefined : parseTime(values.at);
  } catch (e) {
    if (!(e instanceof HistoryQueryError)) throw e;
    err.write(`vpcwire history: ${e.message}\n\n${HISTORY_USAGE}\n`);
    return 2;
  }
  const env = (name: string) => process.env[name]?.trim() || undefined;
  const checkpoint = env('VPCWIRE_CHECKPOINT');
  const dir = values.dir ?? env('VPCWIRE_HISTORY_DIR') ?? (checkpoint ? historyDirBeside(checkpoint) : DEFAULT_HISTORY_DIR);
  let read;
  try {
    read = await readHistory(dir, { ip });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory (is VPCWIRE_HISTORY off, or is --dir wrong?)' : code === 'EACCES' ? 'permission denied (run as root)' : (e as Error).message;
    err.write(`vpcwire history: cannot read the history at ${dir}: ${why}\n`);
    return 1;
  }
  for (const p of read.problems) err.write(`vpcwire history: skipped ${p.torn ? 'a torn last line (a crash mid-write)' : `a bad line (${p.error})`} at ${p.file}:${p.line}\n`);
  const since = read.files.length > 0 ? iso(fileBegan(read.files[0]!)) : undefined;

  if (at !== undefined) {
    const answers = heldAt(read.records, at);
    if (values.json) {
      out.write(`${JSON.stringify({ ip, at: iso(at), holders: answers.map((a) => ({ certainty: a.certainty, ...recordJson(a.record, { withContainer: true }) })) }, null, 2)}\n`);
      return 0;
    }
    if (answers.length === 0) {
      out.write(`${ip} at ${iso(at)}: held by no pod on this node${since ? ` (history kept since ${since})` : ' (no history files)'}\n`);
      return 0;
    }
    for (const a of answers) {
      const r = a.record;
      const span = describeSpan(r);
      out.write(
        `${ip} at ${iso(at)}: ${a.certainty === 'possibly' ? 'POSSIBLY ' : ''}${podLabel(r)}${r.uid ? ` (uid ${r.uid})` : ''}\n` +
          `  container ${r.containerId || '-'} ${r.ifName || '-'}, network ${r.network || '-'}, veth ${r.hostVeth}, ENI ${r.eniId}\n` +
          `  held from ${span.from} until ${span.until}\n`,
      );
    }
    return 0;
  }
  const records = newestFirst(read.records);
  if (values.json) {
    out.write(`${JSON.stringify({ ip, holdings: records.map((r) => recordJson(r, { withContainer: true })) }, null, 2)}\n`);
    return 0;
  }
  if (records.length === 0) {
    out.write(`${ip}: never held by a pod on this node${since ? ` (history kept since ${since})` : ' (no history files)'}\n`);
    return 0;
  }
  const rows = records.map((r) => {
    const span = describeSpan(r);
    return [span.from, span.until, podLabel(r), r.uid || '-', r.containerId ? `${r.containerId.slice(0, 12)}/${r.ifName}` : '-', r.eniId];
  });
  out.write(`${ip}: ${records.length} holding(s), newest first\n${table(['FROM', 'UNTIL', 'POD', 'UID', 'CONTAINER', 'ENI'], rows)}\n`);
  return 0;
}
