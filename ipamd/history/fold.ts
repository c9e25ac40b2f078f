/**
 * Folding history lines, oldest first, into holdings with their ends (reader.ts feeds it, a file
 * at a time). What each line does:
 * - `start` opens a holding; the same holding started again after its end is an end taken back
 *   (a batch whose checkpoint write failed).
 * - `snapshot` lists every holding open when its file began: one not seen yet opens; one open
 *   before it and left out ended without its end line reaching the files, and is closed there
 *   (`snapshot-gone`, between its last sign of life and the snapshot).
 * - `end` closes a holding (`aborted`: it never happened, it goes), also one a snapshot just closed
 *   (the batch that rotated writes its ends after the new file's snapshot: the end line is exact).
 * - `seen` marks every open holding but the missing as alive then.
 */
import { type EndHow, type HistoryLine, type Holding, holdingId } from './record.ts';

/** One holding of one address, as far as the files tell. */
export interface HistoryRecord extends Holding {
  /** Epoch ms it ended; absent while open. For `restart-gone`, when ipamd found out. */
  readonly end?: number;
  readonly endHow?: EndHow;
  /** For `restart-gone` and `snapshot-gone`: the last sign of life (the real end is in [notBefore, end]). */
  readonly notBefore?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Rec = Mutable<HistoryRecord>;

export class HistoryFold {
  readonly #all = new Map<string, Rec>();
  readonly #open = new Map<string, Rec>();
  readonly #ip: string | undefined;
  /** Drop holdings as they end (ipamd's start wants only what is open). */
  readonly #openOnly: boolean;

  constructor(opts: { ip?: string; openOnly?: boolean }) {
    this.#ip = opts.ip;
    this.#openOnly = opts.openOnly ?? false;
  }

  /** Oldest first, by start. */
  records(): HistoryRecord[] {
    return [...this.#all.values()].sort((a, b) => a.at - b.at);
  }

  apply(line: HistoryLine): void {
    switch (line.e) {
      case 'start':
        return this.#started(line, true);
      case 'snapshot':
        this.#closeLeftOut(line);
        for (const h of line.open) this.#started(h, false);
        return;
      case 'end':
        return this.#ended(line);
      case 'seen': {
        const missing = new Set(line.missing);
        for (const rec of this.#open.values()) if (!missing.has(rec.ip) && (rec.lastSeen ?? -1) < line.at) rec.lastSeen = line.at;
      }
    }
  }

  #mine(h: { ip: string }): boolean {
    return this.#ip === undefined || h.ip === this.#ip;
  }

  #started(h: Holding & { e?: string }, isStart: boolean): void {
    if (!this.#mine(h)) return;
    const id = holdingId(h);
    const known = this.#all.get(id);
    if (known && known.end !== undefined && isStart) {
      // Started anew after its end: a batch whose checkpoint write failed took the end back.
      delete known.end;
      delete known.endHow;
      delete known.notBefore;
      this.#open.set(id, known);
      return;
    }
    if (known) {
      // A snapshot repeats a holding: it may carry a later sign of life.
      if (h.lastSeen !== undefined && (known.lastSeen ?? -1) < h.lastSeen) known.lastSeen = h.lastSeen;
      return;
    }
    const { e: _e, ...rest } = { e: '', ...h };
    const rec: Rec = { ...rest };
    this.#all.set(id, rec);
    this.#open.set(id, rec);
  }

  #ended(line: Extract<HistoryLine, { e: 'end' }>): void {
    if (!this.#mine(line)) return;
    const id = holdingId(line);
    const closed = this.#all.get(id);
    const rec = this.#open.get(id) ?? (closed?.endHow === 'snapshot-gone' ? closed : undefined);
    if (!rec) return; // its start was in a pruned file and it ended before the next snapshot
    this.#open.delete(id);
    if (line.how === 'aborted' || this.#openOnly) this.#all.delete(id);
    if (line.how === 'aborted') return; // never happened
    rec.end = line.at;
    rec.endHow = line.how;
    delete rec.notBefore;
    if (line.notBefore !== undefined) rec.notBefore = line.notBefore;
  }

  /** A start after the snapshot's time (a clock that stepped back) is left alone. */
  #closeLeftOut(snap: { at: number; open: readonly Holding[] }): void {
    const listed = new Set(snap.open.map(holdingId));
    for (const [id, rec] of this.#open) {
      if (listed.has(id) || rec.at > snap.at) continue;
      this.#open.delete(id);
      if (this.#openOnly) this.#all.delete(id);
      rec.end = snap.at;
      rec.endHow = 'snapshot-gone';
      rec.notBefore = Math.min(Math.max(rec.lastSeen ?? rec.at, rec.at), snap.at);
    }
  }
}
