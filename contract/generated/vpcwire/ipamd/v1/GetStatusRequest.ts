// Original file: contract/ipamd.proto


export interface GetStatusRequest {
  'client_version'?: (string);
}

export interface GetStatusRequest__Output {
  'client_version': (string);
}
