export interface RequestLogEntry {
  seq: number;
  /** Epoch ms when the request arrived. */
  at: number;
  service: 'ec2' | 'sts' | 'imds' | 'cloudwatch';
  action: string;
  status: number;
  /** The AWS error code answered, if any. */
  errorCode?: string;
  /** What the fault injector did to this request. */
  faults: string[];
  durationMs: number;
  /** Access key of the caller, when signed. */
  caller?: string;
  /** The request's parameters minus Action/Version. */
  params: Record<string, string>;
  /** The request body's Content-Encoding when it had one (CloudWatch: `gzip` from the SDK's compression). */
  contentEncoding?: string;
  requestId: string;
}

/** Every request the emulator answered, newest last; bounded so a long soak does not grow without end. */
export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];
  readonly #limit: number;
  readonly #listeners = new Set<(e: RequestLogEntry) => void>();
  #seq = 0;

  constructor(limit = 50_000) {
    this.#limit = limit;
  }

  record(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const full = { ...entry, seq: ++this.#seq };
    this.#entries.push(full);
    if (this.#entries.length > this.#limit) this.#entries.splice(0, this.#entries.length - this.#limit);
    for (const l of this.#listeners) l(full);
    return full;
  }

  entries(filter: { action?: string; service?: string; sinceSeq?: number } = {}): RequestLogEntry[] {
    return this.#entries.filter(
      (e) =>
        (filter.action === undefined || e.action === filter.action) &&
        (filter.service === undefined || e.service === filter.service) &&
        (filter.sinceSeq === undefined || e.seq > filter.sinceSeq),
    );
  }

  /** The sequence number of the newest entry: pass it as sinceSeq to see only what follows. */
  get lastSeq(): number {
    return this.#seq;
  }

  onEntry(listener: (e: RequestLogEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
