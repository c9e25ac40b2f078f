/**
 * Contract between the emulator's EC2 model and its kernel data plane (DESIGN.md §1, §7).
 * The EC2 model fires these without awaiting; operations run one at a time in call order.
 */

export interface DataPlaneEni {
  /** e.g. eni-0a1b2c3d4e5f60718 */
  eniId: string;
  /** e.g. 02:1a:2b:3c:4d:5e */
  mac: string;
  /** 0 = primary ENI; the node-side link is `eth<deviceIndex>` (on network card 0). */
  deviceIndex: number;
  /** Network card of the attachment (multi-card types); default 0. */
  networkCard?: number;
  /** ENI primary private IPv4. */
  primaryIp: string;
  /** e.g. 10.0.1.0/24; the subnet gateway is network address + 1 (AWS rule). */
  subnetCidr: string;
  /** Default 9001. */
  mtu?: number;
}

export interface DataPlane {
  /** Creates the node namespace for an instance (idempotent). Returns the netns name. */
  addNode(instanceId: string): Promise<string>;
  /** Deletes the node namespace and the router state of every ENI attached to it (idempotent). */
  removeNode(instanceId: string): Promise<void>;
  /** Creates `eth<deviceIndex>` in the node netns, linked to the VPC router, and routes the ENI's addresses to it. */
  attachEni(instanceId: string, eni: DataPlaneEni): Promise<void>;
  /** Removes both veth ends and every route/neighbour of the ENI (idempotent when not attached). */
  detachEni(instanceId: string, eniId: string): Promise<void>;
  /**
   * Desired full set of secondary IPv4 addresses and /28 prefixes EC2 has on this ENI; the router
   * reconciles to it. Kept while the ENI is detached and applied again when it is attached.
   */
  setAddresses(eniId: string, secondaryIps: readonly string[], prefixes: readonly string[]): Promise<void>;
  /** The netns name reserved by addNode (exists once that addNode's promise has resolved). */
  nodeNetns(instanceId: string): string | undefined;
  readonly routerNetns: string;
  /** Resolves when every queued kernel operation is done; rejects with the first failure since the last call. */
  settled(): Promise<void>;
  /** Removes every namespace and link it created (and any other netns under its `vpcw-<id>-` prefix). */
  close(): Promise<void>;
}
