/**
 * The publisher's one error family (DESIGN.md §8): a stable `code` to switch on, never the message.
 * Errors from the API server and CloudWatch keep their own shape and are logged, not rethrown.
 */
export type MetricsHelperErrorCode =
  | 'METRICS_HELPER_CONFIG_INVALID'
  | 'METRICS_HELPER_BAD_EXPOSITION'
  | 'METRICS_HELPER_STATE_CONFLICT'
  | 'METRICS_HELPER_STATE_INVALID'
  | 'METRICS_HELPER_KUBE';

export class MetricsHelperError extends Error {
  readonly code: MetricsHelperErrorCode;
  constructor(code: MetricsHelperErrorCode, message: string, opts?: ErrorOptions) {
    super(message, opts);
    this.name = 'MetricsHelperError';
    this.code = code;
  }
}
