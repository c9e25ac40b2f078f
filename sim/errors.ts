/**
 * The emulator's one error family: an AWS error code and the HTTP status AWS answers it with.
 * Services render it in their own protocol's XML (EC2 query vs. STS/awsQuery shapes differ).
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
  }
}

export const isAwsError = (e: unknown): e is AwsError => e instanceof AwsError;
