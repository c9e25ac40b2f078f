/**
 * The address history's writer (issue 13): appends each committed ledger batch's starts and ends
 * to the current history file and fdatasyncs it, side by side with the checkpoint write
 * (Datastore #persist), so an ADD is answered only once its record is durable and a batch of 64
 * ADDs still costs one sync. Files are 0600 in a 0700 directory: they name pods.
 *
 * A history that cannot be written never fails a pod (ipamd's job is addresses; the checkpoint
 * keeps the ledger honest): the lines are kept in memory and written with the next batch, to the
 * same file (never a new file per failure), the failure (a short write too) is logged and counted
 * (`stats()`), and past MAX_PENDING lines the oldest are dropped and a gap is counted (the next
 * file's snapshot then closes what lost its end: fold.ts). Before start-up has reconciled the files with the ledger (`reconcile`),
 * batches are not written: start-up changes are what the reconcile records.
 */
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Allocation, LedgerChange, LedgerJournal } from '../datastore/types.ts';
import type { Logger } from '../logger.ts';
import { reconcileHoldings } from './reconcile.ts';
import { encodeLine, type EndHow, type Holding, holdingId, type HistoryLine } from './record.ts';
import { fileBegan, listHistoryFiles, readHistory } from './reader.ts';
import { beginHistoryFile, type RotationLimits, pruneHistory, shortWrite, shouldRotate } from './rotation.ts';

/** Lines kept for a retry while the directory cannot be written (about 350 bytes each: ~17 MiB). */
const MAX_PENDING = 50_000;

export interface JournalOptions extends RotationLimits {
  readonly dir: string;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly now?: () => number;
  /** The host veth of an allocation as ipamd names it (veth.ts), for holdings recorded without one. */
  readonly vethOf: (a: Allocation) => string;
}

export interface JournalStats {
  /** Appends that failed (each batch once). */
  readonly writeFailures: number;
  /** Lines written to no file yet, waiting for the directory to accept them. */
  readonly pending: number;
  /** Lines given up after MAX_PENDING. */
  readonly dropped: number;
  readonly lastError: string | undefined;
}

export class HistoryJournal implements LedgerJournal {
  readonly #o: JournalOptions;
  readonly #now: () => number;
  /** Open holdings by id: what a new file's snapshot and the start-up reconcile need. */
  readonly #open = new Map<string, Holding>();
  /** The holding each ledger allocation is recorded as (ids are by address, start and container). */
  readonly #byAllocation = new WeakMap<Allocation, Holding>();
  #live = false;
  /** Ends of batches before `reconcile` (release notes replayed at start), by address. */
  readonly #startupEnds = new Map<string, EndHow>();
  #fh: FileHandle | undefined;
  #file: { name: string; began: number; bytes: number } | undefined;
  #pending: string[] = [];
  #tail: Promise<void> = Promise.resolve();
  #stats = { writeFailures: 0, dropped: 0, lastError: undefined as string | undefined };

  private constructor(o: JournalOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  /** Reads what the files say is open; never throws (an unreadable directory is logged and retried). */
  static async open(o: JournalOptions): Promise<HistoryJournal> {
    const j = new HistoryJournal(o);
    try {
      await mkdir(o.dir, { recursive: true, mode: 0o700 });
      const read = await readHistory(o.dir, { openOnly: true });
      for (const p of read.problems) {
        o.logger.warn(p.torn ? 'address history: skipped a torn last line (a crash mid-write)' : 'address history: skipped a line that is not a record', { ...p });
      }
      for (const r of read.records) j.#open.set(holdingId(r), r);
    } catch (e) {
      j.#failed(e, 'reading the address history');
    }
    return j;
  }

  get openHoldings(): readonly Holding[] {
    return [...this.#open.values()];
  }

  stats(): JournalStats {
    return { ...this.#stats, pending: this.#pending.length };
  }

  record(change: LedgerChange): Promise<void> {
    if (!this.#live) {
      for (const e of change.ended) this.#startupEnds.set(e.allocation.ip, e.why);
      return Promise.resolve();
    }
    const lines: HistoryLine[] = [];
    const adopted = new Set<string>();
    for (const { allocation: a, why } of change.ended) {
      const h = this.#holdingOf(a);
      if (!h) continue;
      this.#open.delete(holdingId(h));
      if (why === 'adopted') adopted.add(a.ip);
      lines.push({ e: 'end', ip: h.ip, since: h.at, containerId: h.containerId, at: change.at, how: why });
    }
    for (const a of change.started) {
      const h = this.#toHolding(a, a.recovered ? 'recovered-kernel' : 'add');
      // A pod's ADD taking over its recovered address begins where the recovered holding ended,
      // not at the recovery time it inherits: the two never overlap.
      this.#opened(a, adopted.has(a.ip) ? { ...h, at: change.at } : h, lines);
    }
    return this.#append(lines);
  }

  #opened(a: Allocation, h: Holding, lines: HistoryLine[]): void {
    this.#open.set(holdingId(h), h);
    this.#byAllocation.set(a, h);
    lines.push({ e: 'start', ...h });
  }

  aborted(change: LedgerChange): Promise<void> {
    if (!this.#live) return Promise.resolve();
    const lines: HistoryLine[] = [];
    for (const a of change.started) {
      const h = this.#byAllocation.get(a);
      if (!h) continue;
      this.#open.delete(holdingId(h));
      lines.push({ e: 'end', ip: h.ip, since: h.at, containerId: h.containerId, at: h.at, how: 'aborted' });
    }
    // An end that did not happen: the holding is open again, as it was (a start line again; the
    // reader takes its end line back when it meets the same holding started anew).
    for (const { allocation: a } of change.ended) {
      const h = this.#byAllocation.get(a);
      if (h) this.#opened(a, h, lines);
    }
    return this.#append(lines);
  }

  /**
   * Start-up (issue 13 item 2): after the checkpoint replay, release notes and kernel audit, makes
   * the files agree with the ledger (reconcile.ts), then records every batch from now on.
   */
  async reconcile(allocations: readonly Allocation[]): Promise<{ opened: number; closed: number }> {
    const now = this.#now();
    const plan = reconcileHoldings({
      open: this.openHoldings, allocations, now, endedAtStart: this.#startupEnds, toHolding: (a, how) => this.#toHolding(a, how),
    });
    for (const [a, h] of plan.holdings) this.#byAllocation.set(a, h);
    for (const l of plan.lines) {
      if (l.e === 'end') this.#open.delete(holdingId(l));
      if (l.e === 'start') {
        const { e: _e, ...h } = l;
        this.#open.set(holdingId(h), h);
      }
    }
    this.#live = true;
    // The newest file goes on unless a crash left its last line torn: then a new file (beginning
    // with what is open), never an append glued to the torn bytes. Not a new file per start: a
    // crash-looping ipamd would otherwise push its past out through VPCWIRE_HISTORY_MAX_FILES.
    const resumed = await this.#resume().catch(() => false);
    await this.#append(plan.lines, { rotate: !resumed });
    return { opened: plan.opened, closed: plan.closed };
  }

  /** The kernel audit's sign of life: every open holding's veth except `missing` was there at `at`. */
  seen(at: number, missing: readonly string[]): Promise<void> {
    if (!this.#live) return Promise.resolve();
    const gone = new Set(missing);
    for (const [id, h] of this.#open) if (!gone.has(h.ip)) this.#open.set(id, { ...h, lastSeen: at });
    return this.#append([{ e: 'seen', at, missing: [...missing] }]);
  }

  async close(): Promise<void> {
    await this.#tail;
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
  }

  #holdingOf(a: Allocation): Holding | undefined {
    const known = this.#byAllocation.get(a);
    if (known && this.#open.has(holdingId(known))) return known;
    for (const h of this.#open.values()) if (h.ip === a.ip) return h;
    return undefined;
  }

  #toHolding(a: Allocation, how: Holding['how']): Holding {
    return {
      ip: a.ip, at: a.allocatedAt, how,
      namespace: a.pod.namespace, name: a.pod.name, uid: a.pod.uid,
      network: a.key.networkName, containerId: a.key.containerId, ifName: a.key.ifName,
      eniId: a.eniId, hostVeth: a.hostVeth ?? this.#o.vethOf(a),
    };
  }

  /** One append at a time, in call order; resolves once durable or once the failure is counted. */
  #append(lines: readonly HistoryLine[], opts: { rotate?: boolean } = {}): Promise<void> {
    const text = lines.map(encodeLine);
    const run = this.#tail.then(() => this.#write(text, opts.rotate ?? false));
    this.#tail = run;
    return run;
  }

  async #write(text: readonly string[], rotate: boolean): Promise<void> {
    this.#pending.push(...text);
    if (this.#pending.length > MAX_PENDING) {
      const n = this.#pending.length - MAX_PENDING;
      this.#pending.splice(0, n);
      this.#stats.dropped += n;
    }
    if (this.#pending.length === 0 && !rotate) return;
    try {
      const now = this.#now();
      if (rotate || !this.#fh || shouldRotate(this.#file!, now, this.#o)) await this.#rotate(now);
      await this.#flush();
      if (this.#stats.lastError) this.#o.logger.info('address history: writing again', { dir: this.#o.dir });
      this.#stats.lastError = undefined;
    } catch (e) {
      // The handle stays open: the retry appends to the same file. A new file per failed batch
      // would leave one empty file each (its snapshot refused too) and push the history out.
      this.#failed(e, 'writing the address history');
    }
  }

  /**
   * Appends the pending lines and syncs them. A write that comes back short (ENOSPC part-way: the
   * kernel took what fitted) is a failure: the whole lines it wrote are done, the rest stay pending,
   * and the retry begins with a newline so the torn tail is a line of its own.
   */
  async #flush(): Promise<void> {
    // A leading newline after a failure: whatever a failed write left is a line of its own.
    const lead = this.#stats.lastError ? '\n' : '';
    const data = Buffer.from(lead + this.#pending.join(''));
    const { bytesWritten } = await this.#fh!.write(data);
    this.#file!.bytes += bytesWritten;
    if (bytesWritten < data.length) {
      let left = bytesWritten - lead.length;
      let whole = 0;
      while (whole < this.#pending.length && left >= Buffer.byteLength(this.#pending[whole]!)) left -= Buffer.byteLength(this.#pending[whole++]!);
      this.#pending.splice(0, whole);
      throw shortWrite(bytesWritten, data.length);
    }
    await this.#fh!.datasync();
    this.#pending = [];
  }

  /** Opens the newest file for appending if it ends with a whole line. */
  async #resume(): Promise<boolean> {
    const name = (await listHistoryFiles(this.#o.dir)).at(-1);
    if (!name) return false;
    const fh = await open(join(this.#o.dir, name), 'r+');
    try {
      const { size } = await fh.stat();
      const last = Buffer.alloc(1);
      if (size === 0 || (await fh.read(last, 0, 1, size - 1)).bytesRead !== 1 || last[0] !== 0x0a) {
        await fh.close();
        return false;
      }
      await fh.close();
      this.#fh = await open(join(this.#o.dir, name), 'a', 0o600);
      this.#file = { name, began: fileBegan(name), bytes: size };
      return true;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * A new file that begins with what is open now; then older files past the limits go. Only once
   * its snapshot is durable does it replace the current file: if the snapshot cannot be written
   * the new file is closed and removed, and the current one stays (no empty file, no open handle).
   */
  async #rotate(now: number): Promise<void> {
    const { fh, name, bytes } = await beginHistoryFile(this.#o.dir, now, encodeLine({ e: 'snapshot', at: now, open: this.openHoldings }));
    await this.#fh?.close().catch(() => undefined);
    this.#fh = fh;
    this.#file = { name, began: now, bytes };
    try {
      const removed = await pruneHistory(this.#o.dir, name, now, this.#o);
      if (removed.length > 0) this.#o.logger.info('address history: removed old files', { removed });
    } catch (e) {
      this.#o.logger.warn('address history: could not remove old files; retried at the next rotation', { error: (e as Error).message });
    }
  }

  #failed(e: unknown, what: string): void {
    this.#stats.writeFailures++;
    this.#stats.lastError = (e as Error).message ?? String(e);
    this.#o.logger.error(`ADDRESS HISTORY NOT WRITTEN: ${what} in ${this.#o.dir} failed; pods are still served, the records are kept in memory and retried`, {
      error: this.#stats.lastError,
      pending: this.#pending.length,
      failures: this.#stats.writeFailures,
    });
  }
}
