import { randomBytes, randomUUID } from 'node:crypto';

/** EC2-shaped identifiers: a prefix and 17 hex digits, as current EC2 issues them. */
export function resourceId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** A locally administered unicast MAC, which is what EC2 gives ENIs (02:...). */
export function eniMac(): string {
  const b = randomBytes(5);
  return ['02', ...Array.from(b, (x) => x.toString(16).padStart(2, '0'))].join(':');
}

export const requestId = (): string => randomUUID();
