// Original file: contract/ipamd.proto


export interface ListAllocationsRequest {
  'client_version'?: (string);
}

export interface ListAllocationsRequest__Output {
  'client_version': (string);
}
