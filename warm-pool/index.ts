/** The warm-pool planner's public API (DESIGN.md §3): pure functions over the types in types.ts. */
export type * from './types.ts';
export { planNext } from './planner.ts';
export { chooseAddress } from './choose-address.ts';
export { PREFIX_SIZE, compareAddresses } from './addresses.ts';
export { countEni, sumCounts, slotsPerEni, maxEnis, type AddressCounts, type EniCounts } from './counts.ts';
export { alsoCreate } from './parallel-growth.ts';
