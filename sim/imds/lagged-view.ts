import type { StateEvent } from '../model/types.ts';
import type { VpcState } from '../model/vpc-state.ts';
import { buildMetadataTree, type MetadataTree } from './metadata-tree.ts';

/**
 * IMDS follows EC2 with a delay, as on AWS (seconds, sometimes tens of seconds, for a new ENI to
 * appear). Each change is snapshotted when it happens and published `lagMs` later, so a reader
 * sees exactly the EC2 state of `lagMs` ago: never a mix, never newer than EC2.
 */
export class LaggedMetadata {
  readonly #state: VpcState;
  readonly #published = new Map<string, { seq: number; tree: MetadataTree }>();
  #seq = 0;
  /** Default delay; can be changed at any time (applies to changes made afterwards). */
  lagMs: number;
  readonly #lagByInstance = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(state: VpcState, lagMs: number) {
    this.#state = state;
    this.lagMs = lagMs;
    this.#unsubscribe = state.on((ev) => this.#onEvent(ev));
    for (const id of state.instances.keys()) this.#publish(id, ++this.#seq, buildMetadataTree(state, id));
  }

  setInstanceLag(instanceId: string, lagMs: number | undefined): void {
    if (lagMs === undefined) this.#lagByInstance.delete(instanceId);
    else this.#lagByInstance.set(instanceId, lagMs);
  }

  tree(instanceId: string): MetadataTree {
    return this.#published.get(instanceId)?.tree ?? new Map();
  }

  close(): void {
    this.#unsubscribe();
  }

  #onEvent(ev: StateEvent): void {
    const id = 'instanceId' in ev ? ev.instanceId : undefined;
    if (!id) return;
    const seq = ++this.#seq;
    const snapshot = buildMetadataTree(this.#state, id);
    // A new instance is visible at once: its metadata exists before anything on it can run.
    const lag = ev.type === 'instance-launched' ? 0 : (this.#lagByInstance.get(id) ?? this.lagMs);
    this.#state.after(lag, () => this.#publish(id, seq, snapshot));
  }

  #publish(id: string, seq: number, tree: MetadataTree): void {
    const cur = this.#published.get(id);
    if (cur && cur.seq > seq) return;
    this.#published.set(id, { seq, tree });
  }
}
