// Original file: contract/ipamd.proto

export const AddressState = {
  ADDRESS_STATE_UNSPECIFIED: 'ADDRESS_STATE_UNSPECIFIED',
  ADDRESS_STATE_FREE: 'ADDRESS_STATE_FREE',
  ADDRESS_STATE_ASSIGNED: 'ADDRESS_STATE_ASSIGNED',
  ADDRESS_STATE_COOLING: 'ADDRESS_STATE_COOLING',
} as const;

export type AddressState =
  | 'ADDRESS_STATE_UNSPECIFIED'
  | 0
  | 'ADDRESS_STATE_FREE'
  | 1
  | 'ADDRESS_STATE_ASSIGNED'
  | 2
  | 'ADDRESS_STATE_COOLING'
  | 3

export type AddressState__Output = typeof AddressState[keyof typeof AddressState]
