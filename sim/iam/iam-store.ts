import { type PolicyDocument, validatePolicy } from './evaluate.ts';

/**
 * The emulator's IAM: the identity policies attached to each principal, by ARN (a user's ARN for
 * static keys, a role's ARN for the sessions STS issues for it). A principal with no entry is
 * unrestricted, the emulator's default (its static keys act as an administrator, and so do roles
 * whose topology entry lists no `policies`); a principal with an entry may do only what those
 * documents allow, so an empty list denies everything.
 */
export class IamStore {
  readonly #policies = new Map<string, readonly PolicyDocument[]>();

  /** Attaches exactly these documents to the principal (replacing any); undefined lifts enforcement. */
  setPolicies(principalArn: string, policies: readonly PolicyDocument[] | undefined): void {
    if (policies === undefined) {
      this.#policies.delete(principalArn);
      return;
    }
    for (const p of policies) validatePolicy(p);
    this.#policies.set(principalArn, policies);
  }

  /** Every restricted principal and its documents. */
  entries(): [string, readonly PolicyDocument[]][] {
    return [...this.#policies];
  }

  /** The documents to enforce for a principal, or undefined when it is unrestricted. */
  policiesOf(principalArn: string): readonly PolicyDocument[] | undefined {
    return this.#policies.get(principalArn);
  }
}
