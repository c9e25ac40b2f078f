import { randomBytes, randomInt } from 'node:crypto';

/**
 * The emulator's credentials: long-term keys configured at start (an IAM user's access key) and the
 * temporary ones STS hands out. Every signed request is checked against this store, so it is the one
 * place that knows which secret belongs to which access key and who that key acts as.
 */

/** Who a request acts as once its signature checks out; the shape GetCallerIdentity answers. */
export interface Principal {
  readonly accessKeyId: string;
  /** `arn:aws:iam::<acct>:user/<name>` or `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  readonly accountId: string;
  /** AWS's unique id: `AIDA...` for a user, `<roleId>:<session>` for an assumed role. */
  readonly userId: string;
}

export interface StaticCredentialConfig {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** e.g. `arn:aws:iam::111122223333:user/vpcwire-test`. */
  readonly arn: string;
  /** Defaults to the account in `arn`. */
  readonly accountId?: string;
  /** Defaults to a generated `AIDA...` id, stable for the store's life. */
  readonly userId?: string;
}

export interface StaticCredential extends Principal {
  readonly kind: 'static';
  readonly secretAccessKey: string;
}

export interface TemporaryCredential extends Principal {
  readonly kind: 'temporary';
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds, on the store's clock. */
  readonly expiration: number;
  /** The IAM role this session assumed, e.g. `arn:aws:iam::111122223333:role/vpcwire-cni`. */
  readonly roleArn: string;
  /** `AROA...`, the same for every session of one role (AWS keeps a role's id for its lifetime). */
  readonly roleId: string;
  readonly sessionName: string;
}

export type StoredCredential = StaticCredential | TemporaryCredential;

export interface IssueTemporaryOptions {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
}

export interface CredentialStoreOptions {
  readonly static?: readonly StaticCredentialConfig[];
  /** Epoch milliseconds; injected so tests can expire credentials without sleeping. */
  readonly now?: () => number;
}

// AWS access key ids and unique ids use base32 upper-case letters and digits 2-7.
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomId(prefix: string, length: number): string {
  let out = prefix;
  while (out.length < length) out += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return out;
}

/** `arn:partition:service:region:account:resource` → account, or throws for a malformed ARN. */
export function accountOfArn(arn: string): string {
  const parts = arn.split(':');
  const account = parts[4];
  if (parts.length < 6 || parts[0] !== 'arn' || !account)
    throw new Error(`not an ARN with an account: ${arn}`);
  return account;
}

/** The role's name is the last path segment of `arn:aws:iam::<acct>:role/<path/>name`. */
export function roleNameOfArn(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  if (!resource.startsWith('role/')) throw new Error(`not a role ARN: ${roleArn}`);
  return resource.slice(resource.lastIndexOf('/') + 1);
}

export class CredentialStore {
  /** The store's clock; signature checks use it too unless given their own. */
  readonly now: () => number;
  readonly #byKey = new Map<string, StoredCredential>();
  readonly #roleIds = new Map<string, string>();

  constructor(opts: CredentialStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    for (const cfg of opts.static ?? []) this.addStatic(cfg);
  }

  addStatic(cfg: StaticCredentialConfig): StaticCredential {
    if (this.#byKey.has(cfg.accessKeyId)) throw new Error(`duplicate access key id ${cfg.accessKeyId}`);
    const cred: StaticCredential = {
      kind: 'static',
      accessKeyId: cfg.accessKeyId,
      secretAccessKey: cfg.secretAccessKey,
      arn: cfg.arn,
      accountId: cfg.accountId ?? accountOfArn(cfg.arn),
      userId: cfg.userId ?? randomId('AIDA', 21),
    };
    this.#byKey.set(cred.accessKeyId, cred);
    return cred;
  }

  /** Mints a session the way STS does: fresh ASIA key, 40-char secret, opaque token, fixed expiry. */
  issueTemporary(opts: IssueTemporaryOptions): TemporaryCredential {
    const accountId = accountOfArn(opts.roleArn);
    const roleName = roleNameOfArn(opts.roleArn);
    const roleId = this.roleIdFor(opts.roleArn);
    let accessKeyId = randomId('ASIA', 20);
    while (this.#byKey.has(accessKeyId)) accessKeyId = randomId('ASIA', 20);
    const cred: TemporaryCredential = {
      kind: 'temporary',
      accessKeyId,
      // 30 random bytes are exactly 40 base64 characters, the length of a real secret key.
      secretAccessKey: randomBytes(30).toString('base64'),
      // Real tokens are long opaque base64 blobs; clients must treat them as such, so do we.
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(240).toString('base64')}`,
      expiration: this.now() + opts.durationSeconds * 1000,
      arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${opts.sessionName}`,
      accountId,
      userId: `${roleId}:${opts.sessionName}`,
      roleArn: opts.roleArn,
      roleId,
      sessionName: opts.sessionName,
    };
    this.#byKey.set(accessKeyId, cred);
    return cred;
  }

  get(accessKeyId: string): StoredCredential | undefined {
    return this.#byKey.get(accessKeyId);
  }

  isExpired(cred: StoredCredential, now: number = this.now()): boolean {
    return cred.kind === 'temporary' && now >= cred.expiration;
  }

  roleIdFor(roleArn: string): string {
    let id = this.#roleIds.get(roleArn);
    if (!id) {
      id = randomId('AROA', 21);
      this.#roleIds.set(roleArn, id);
    }
    return id;
  }
}

/** The caller identity a credential stands for, without its secrets. */
export function principalOf(cred: StoredCredential): Principal {
  return { accessKeyId: cred.accessKeyId, arn: cred.arn, accountId: cred.accountId, userId: cred.userId };
}
