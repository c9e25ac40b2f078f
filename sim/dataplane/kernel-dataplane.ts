/**
 * The emulator's kernel data plane (DESIGN.md §1, §7): each emulated instance is a network
 * namespace playing the node's root netns; each attached ENI is a veth from that namespace to one
 * "VPC router" namespace that routes exactly the addresses EC2 has assigned, and drops the rest.
 * Pod traffic between emulated nodes thus crosses a VPC-like fabric unencapsulated, and an
 * address EC2 does not know goes nowhere, as on AWS.
 *
 * Router configuration: router-netns.ts; what each ENI's addresses become: address-plan.ts.
 */
import { type AppliedAddresses, afterFailure, nothingApplied, planAddresses } from './address-plan.ts';
import { cleanupStaleNamespaces } from './cleanup.ts';
import { checkEni, checkIpv4, checkPrefix, type EniSpec } from './eni-spec.ts';
import { DataPlaneError } from './errors.ts';
import { deleteNetns, ip, ipBatch, ipDeleteLinks, writeSysctls } from './ip.ts';
import {
  checkEmulatorId,
  namespacePrefix,
  nodeLinkName,
  nodeNetnsName,
  routerLinkName,
  routerNetnsName,
} from './names.ts';
import { OpQueue } from './op-queue.ts';
import { assertKernelDataPlaneSupported } from './preflight.ts';
import { createRouterNetns } from './router-netns.ts';
import type { DataPlane, DataPlaneEni } from './types.ts';

const noop = (): void => {};

interface AttachedEni {
  instanceId: string;
  spec: EniSpec;
  nodeLink: string;
  routerLink: string;
  applied: AppliedAddresses;
}

interface NodeState {
  netns: string;
  enis: Set<string>;
}

class KernelDataPlane implements DataPlane {
  readonly routerNetns: string;
  readonly #id: string;
  readonly #queue = new OpQueue();
  /** instanceId -> netns name, reserved when addNode is called (names are decided synchronously) */
  readonly #reserved = new Map<string, string>();
  readonly #nodes = new Map<string, NodeState>();
  readonly #attached = new Map<string, AttachedEni>();
  /** what EC2 has on each ENI, attached or not; applied when the ENI is attached */
  readonly #desired = new Map<string, { ips: readonly string[]; prefixes: readonly string[] }>();
  #closing: Promise<void> | undefined;

  constructor(id: string) {
    this.#id = id;
    this.routerNetns = routerNetnsName(id);
  }

  init(): Promise<void> {
    return createRouterNetns(this.routerNetns, this.#id);
  }

  #enqueue<T>(label: string, op: () => Promise<T>): Promise<T> {
    if (this.#closing) {
      return this.#queue.enqueue(label, () =>
        Promise.reject(new DataPlaneError('SIM_DATAPLANE_CLOSED', 'the data plane is closed')),
      );
    }
    return this.#queue.enqueue(label, op);
  }

  nodeNetns(instanceId: string): string | undefined {
    return this.#nodes.get(instanceId)?.netns ?? this.#reserved.get(instanceId);
  }

  addNode(instanceId: string): Promise<string> {
    const label = `addNode ${instanceId}`;
    let netns: string;
    try {
      netns = this.#reserve(instanceId);
    } catch (err) {
      return this.#enqueue(label, () => Promise.reject(err));
    }
    return this.#enqueue(label, async () => {
      const existing = this.#nodes.get(instanceId);
      if (existing) return existing.netns;
      try {
        await ip(['netns', 'add', netns]);
      } catch (err) {
        if (this.#reserved.get(instanceId) === netns) this.#reserved.delete(instanceId);
        throw err;
      }
      try {
        // The EKS AMI enables forwarding: the node's root netns routes between pods and ENIs.
        await writeSysctls(netns, { 'net.ipv4.ip_forward': 1 });
        await ip(['link', 'set', 'lo', 'up'], netns);
      } catch (err) {
        await deleteNetns(netns).catch(noop);
        if (this.#reserved.get(instanceId) === netns) this.#reserved.delete(instanceId);
        throw err;
      }
      this.#nodes.set(instanceId, { netns, enis: new Set() });
      return netns;
    });
  }

  /** Last 8 characters of the instance id, or all of it if another live instance has those. */
  #reserve(instanceId: string): string {
    const reserved = this.#reserved.get(instanceId) ?? this.#nodes.get(instanceId)?.netns;
    if (reserved) {
      this.#reserved.set(instanceId, reserved);
      return reserved;
    }
    const taken = new Set([...this.#reserved.values(), ...[...this.#nodes.values()].map((n) => n.netns)]);
    let name = nodeNetnsName(this.#id, instanceId);
    if (taken.has(name)) name = nodeNetnsName(this.#id, instanceId, true);
    if (taken.has(name)) throw new DataPlaneError('SIM_DATAPLANE_CONFLICT', `netns name ${name} of ${instanceId} is taken`);
    this.#reserved.set(instanceId, name);
    return name;
  }

  removeNode(instanceId: string): Promise<void> {
    this.#reserved.delete(instanceId);
    return this.#enqueue(`removeNode ${instanceId}`, async () => {
      const node = this.#nodes.get(instanceId);
      if (!node) return;
      // Router links first, synchronously: deleting a netns tears its veths down later (netns
      // cleanup runs in a kernel workqueue, and never while a process such as ipamd still lives
      // in it), which would leave the VPC routing addresses to a dead node meanwhile.
      const links = [...node.enis]
        .map((eniId) => this.#attached.get(eniId)?.routerLink ?? '')
        .filter(Boolean);
      await ipDeleteLinks(this.routerNetns, links);
      for (const eniId of node.enis) this.#attached.delete(eniId);
      node.enis.clear();
      await deleteNetns(node.netns);
      this.#nodes.delete(instanceId);
    });
  }

  attachEni(instanceId: string, eni: DataPlaneEni): Promise<void> {
    const copy = { ...eni }; // the caller does not await; it may reuse its object
    return this.#enqueue(`attachEni ${eni.eniId} to ${instanceId}`, async () => {
      const spec = checkEni(copy);
      const node = this.#nodes.get(instanceId);
      if (!node) {
        throw new DataPlaneError('SIM_DATAPLANE_CONFLICT', `instance ${instanceId} has no node netns (addNode first)`);
      }
      const current = this.#attached.get(spec.eniId);
      if (current?.instanceId === instanceId && sameSlot(current.spec, spec)) return;
      if (current) {
        throw new DataPlaneError(
          'SIM_DATAPLANE_CONFLICT',
          `already attached to ${current.instanceId} as device ${current.spec.deviceIndex}`,
        );
      }
      const routerLink = routerLinkName(spec.eniId);
      for (const other of this.#attached.values()) {
        if (other.instanceId === instanceId && sameSlot(other.spec, spec)) {
          throw new DataPlaneError(
            'SIM_DATAPLANE_CONFLICT',
            `device index ${spec.deviceIndex} on card ${spec.networkCard} is taken by ${other.spec.eniId}`,
          );
        }
        if (other.routerLink === routerLink) {
          throw new DataPlaneError(
            'SIM_DATAPLANE_CONFLICT',
            `router link name ${routerLink} is taken by ${other.spec.eniId}`,
          );
        }
      }
      const nodeLink = nodeLinkName(spec.deviceIndex, spec.networkCard);
      const attached: AttachedEni = { instanceId, spec, nodeLink, routerLink, applied: nothingApplied() };
      const desired = this.#desired.get(spec.eniId) ?? { ips: [], prefixes: [] };
      const plan = planAddresses({ ...spec, routerLink }, attached.applied, desired.ips, desired.prefixes);
      try {
        // The ENI's link is created in place as the veth peer (no create-then-move, DESIGN.md §2).
        const nodeLines = [
          `link add ${nodeLink} address ${spec.mac} mtu ${spec.mtu} type veth` +
            ` peer name ${routerLink} mtu ${spec.mtu} netns ${this.routerNetns}`,
        ];
        if (spec.deviceIndex === 0 && spec.networkCard === 0) {
          // What EC2's DHCP gives the primary ENI. Secondary ENIs stay down and bare: ipamd
          // configures them (DESIGN.md §2), as on EKS.
          nodeLines.push(
            `link set ${nodeLink} up`,
            `addr add ${spec.primaryIp}/${spec.subnet.prefixLength} dev ${nodeLink}`,
            `route replace default via ${spec.gateway} dev ${nodeLink}`,
          );
        }
        await ipBatch(node.netns, nodeLines);
        await ipBatch(this.routerNetns, [
          `link set ${routerLink} up`,
          `addr add ${spec.gateway}/32 dev ${routerLink}`,
          ...plan.lines,
        ]);
      } catch (err) {
        await ipDeleteLinks(this.routerNetns, [routerLink]).catch(noop); // the node end goes with it
        throw err;
      }
      attached.applied = plan.next;
      this.#attached.set(spec.eniId, attached);
      node.enis.add(spec.eniId);
    });
  }

  detachEni(instanceId: string, eniId: string): Promise<void> {
    return this.#enqueue(`detachEni ${eniId} from ${instanceId}`, async () => {
      const attached = this.#attached.get(eniId);
      if (!attached) return;
      if (attached.instanceId !== instanceId) {
        throw new DataPlaneError('SIM_DATAPLANE_CONFLICT', `attached to ${attached.instanceId}, not ${instanceId}`);
      }
      // Deleting one veth end deletes the other, and with the router link go its gateway address,
      // routes and neighbours. What ipamd set up on the node for the link is ipamd's to clean.
      await ipDeleteLinks(this.routerNetns, [attached.routerLink]);
      this.#attached.delete(eniId);
      this.#nodes.get(instanceId)?.enis.delete(eniId);
    });
  }

  setAddresses(eniId: string, secondaryIps: readonly string[], prefixes: readonly string[]): Promise<void> {
    const ips = [...secondaryIps];
    const pfx = [...prefixes];
    return this.#enqueue(`setAddresses ${eniId}`, async () => {
      const desired = {
        ips: [...new Set(ips.map((a) => checkIpv4(a, `${eniId} secondary IP`)))],
        prefixes: [...new Set(pfx.map((p) => checkPrefix(eniId, p)))],
      };
      this.#desired.set(eniId, desired);
      const attached = this.#attached.get(eniId);
      if (!attached) return;
      const plan = planAddresses(
        { ...attached.spec, routerLink: attached.routerLink },
        attached.applied,
        desired.ips,
        desired.prefixes,
      );
      try {
        await ipBatch(this.routerNetns, plan.lines);
        attached.applied = plan.next;
      } catch (err) {
        attached.applied = afterFailure(attached.applied, plan);
        throw err;
      }
    });
  }

  settled(): Promise<void> {
    return this.#queue.settled();
  }

  close(): Promise<void> {
    this.#closing ??= this.#queue.enqueue('close', async () => {
      // A node's and the router's veths go with their namespaces. Try everything, report the first failure.
      const names = [...[...this.#nodes.values()].map((n) => n.netns), this.routerNetns];
      const results = await Promise.allSettled(names.map((n) => deleteNetns(n)));
      this.#nodes.clear();
      this.#attached.clear();
      this.#reserved.clear();
      // Anything else under this emulator's prefix (e.g. pod namespaces behind its nodes, which
      // go away with an instance on EC2 too).
      await cleanupStaleNamespaces(namespacePrefix(this.#id));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
    return this.#closing;
  }
}

/**
 * Creates the VPC router netns and returns the data plane. Needs root and iproute2; throws a
 * DataPlaneError with code SIM_DATAPLANE_UNSUPPORTED otherwise. `id` must be unique per emulator instance.
 */
/** Attachments are unique per (network card, device index), as in EC2. */
const sameSlot = (a: EniSpec, b: EniSpec): boolean => a.deviceIndex === b.deviceIndex && a.networkCard === b.networkCard;

export async function createKernelDataPlane(opts: { id: string }): Promise<DataPlane> {
  const id = checkEmulatorId(opts.id);
  await assertKernelDataPlaneSupported();
  const dataPlane = new KernelDataPlane(id);
  await dataPlane.init();
  return dataPlane;
}
