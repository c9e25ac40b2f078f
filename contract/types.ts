/**
 * The shared key and pod types (DESIGN.md §3, §4): what the plugin sends and ipamd's API hands its
 * core, in vpcwire's own camelCase (the wire's snake_case is messages.ts).
 */

/** The CNI triple that keys an allocation (network name, CNI_CONTAINERID, CNI_IFNAME). */
export interface AllocationKey {
  readonly networkName: string;
  readonly containerId: string;
  readonly ifName: string;
}

/** From CNI_ARGS; every field is undefined when the runtime did not pass it (non-Kubernetes). */
export interface PodRef {
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly infraContainerId?: string;
}
