// Original file: contract/ipamd.proto


export interface GetPoolStatusRequest {
  'client_version'?: (string);
}

export interface GetPoolStatusRequest__Output {
  'client_version': (string);
}
