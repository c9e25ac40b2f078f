/**
 * A small IAM identity-policy evaluator: enough of AWS's policy evaluation logic for the emulator to
 * enforce the documents in iam/ (and any like them) on EC2 calls. No SDK, no network, pure.
 *
 * What it implements (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements"):
 * - Effect Allow/Deny; an explicit Deny in any statement wins over every Allow; no Allow = implicit deny.
 * - Action / NotAction: `service:Name`, case-insensitive, with `*` and `?` wildcards.
 * - Resource / NotResource: ARNs with `*` and `?` wildcards (case-sensitive); `*` alone matches all.
 * - Condition: every operator block must hold (AND), every key in a block must hold (AND), any of a
 *   key's values may match (OR). Keys are case-insensitive. Operators: StringEquals,
 *   StringNotEquals, StringEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike,
 *   ArnNotEquals, ArnNotLike, Bool, Null, each with the `IfExists` suffix, and the set prefixes
 *   ForAllValues: / ForAnyValue:. A missing key fails a positive operator and satisfies a negated
 *   one, as AWS documents.
 * - Principal (trust policies): `*` or exact ids by type; a statement with Principal applies only
 *   to a request naming a matching principal, and one without Resource applies to any resource.
 * Not implemented (and refused loudly rather than misread): numeric and date operators, policy
 * variables, NotPrincipal, session policies, permission boundaries and SCPs.
 */

export type ConditionValue = string | boolean | number;
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, ConditionValue | readonly ConditionValue[]>>>>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  /** Trust (resource) policies only: `*` or `{AWS|Federated|Service: id | ids}`. */
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

/** Condition context: key → one value or a set of values (multivalued keys such as aws:TagKeys). */
export type RequestContext = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface AuthorizationRequest {
  /** The caller, for policies with Principal (trust policies), e.g. `{ Federated: <provider ARN> }`. */
  readonly principal?: { readonly type: 'AWS' | 'Federated' | 'Service'; readonly id: string };
  /** e.g. `ec2:CreateNetworkInterface`. */
  readonly action: string;
  /** e.g. `arn:aws:ec2:us-west-2:111122223333:network-interface/eni-0abc`, or `*`. */
  readonly resource: string;
  readonly context: RequestContext;
}

export type Decision =
  | { readonly decision: 'allow'; readonly statement: PolicyStatement }
  | { readonly decision: 'explicit-deny'; readonly statement: PolicyStatement }
  | { readonly decision: 'implicit-deny' };

const list = <T>(v: T | readonly T[] | undefined): readonly T[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/** IAM wildcard: `*` any run of characters (also none), `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's').test(value);
}

/**
 * ARN matching as ArnLike does it and as Resource does it: component by component (the six
 * colon-separated parts, the last one keeping its colons), each with wildcards.
 */
export function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const split = (s: string) => {
    const parts = s.split(':');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const a = split(arn);
  if (!p || !a) return wildcardMatch(pattern, arn);
  return p.every((part, i) => wildcardMatch(part, a[i]!));
}

const actionMatches = (patterns: readonly string[], action: string) =>
  patterns.some((p) => wildcardMatch(p, action, true));
const resourceMatches = (patterns: readonly string[], resource: string) =>
  patterns.some((p) => arnMatch(p, resource));

type Matcher = (policyValue: string, contextValue: string) => boolean;

const BASE_OPERATORS: Record<string, { match: Matcher; negated: boolean }> = {
  stringequals: { match: (p, v) => p === v, negated: false },
  stringnotequals: { match: (p, v) => p === v, negated: true },
  stringequalsignorecase: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  stringnotequalsignorecase: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  stringlike: { match: (p, v) => wildcardMatch(p, v), negated: false },
  stringnotlike: { match: (p, v) => wildcardMatch(p, v), negated: true },
  arnequals: { match: (p, v) => arnMatch(p, v), negated: false },
  arnlike: { match: (p, v) => arnMatch(p, v), negated: false },
  arnnotequals: { match: (p, v) => arnMatch(p, v), negated: true },
  arnnotlike: { match: (p, v) => arnMatch(p, v), negated: true },
  bool: { match: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
};

export class UnsupportedConditionError extends Error {
  constructor(operator: string) {
    super(`condition operator ${operator} is not supported by the emulator's IAM evaluator`);
    this.name = 'UnsupportedConditionError';
  }
}

function lookup(context: RequestContext, key: string): readonly string[] | undefined {
  const want = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) {
    if (k.toLowerCase() === want && v !== undefined) return typeof v === 'string' ? [v] : v;
  }
  return undefined;
}

function conditionHolds(operatorName: string, key: string, raw: ConditionValue | readonly ConditionValue[], context: RequestContext): boolean {
  const policyValues = list(raw).map(String);
  const values = lookup(context, key);
  let op = operatorName.toLowerCase();
  if (op === 'null') {
    // "true": the key must be absent; "false": it must be present.
    return policyValues.some((p) => (p.toLowerCase() === 'true') === (values === undefined));
  }
  let setOp: 'all' | 'any' | undefined;
  if (op.startsWith('forallvalues:')) [setOp, op] = ['all', op.slice('forallvalues:'.length)];
  else if (op.startsWith('foranyvalue:')) [setOp, op] = ['any', op.slice('foranyvalue:'.length)];
  let ifExists = false;
  if (op.endsWith('ifexists')) [ifExists, op] = [true, op.slice(0, -'ifexists'.length)];
  const base = BASE_OPERATORS[op];
  if (!base) throw new UnsupportedConditionError(operatorName);
  const matchesAny = (v: string) => policyValues.some((p) => base.match(p, v));

  if (setOp === 'all') {
    // Vacuously true for a missing or empty key, as AWS documents (hence the Null checks people add).
    if (!values || values.length === 0) return true;
    return values.every((v) => (base.negated ? !matchesAny(v) : matchesAny(v)));
  }
  if (setOp === 'any') {
    if (!values || values.length === 0) return false;
    return values.some((v) => (base.negated ? !matchesAny(v) : matchesAny(v)));
  }
  if (values === undefined) return ifExists || base.negated;
  // A single-valued operator on a context key: positive → some value matches; negated → none does.
  return base.negated ? !values.some(matchesAny) : values.some(matchesAny);
}

function principalMatches(p: NonNullable<PolicyStatement['Principal']>, req: AuthorizationRequest): boolean {
  if (p === '*') return true;
  if (!req.principal) return false;
  return list(p[req.principal.type]).some((id) => id === '*' || id === req.principal!.id);
}

function statementApplies(s: PolicyStatement, req: AuthorizationRequest): boolean {
  if (s.Principal !== undefined && !principalMatches(s.Principal, req)) return false;
  if (s.Action !== undefined ? !actionMatches(list(s.Action), req.action) : s.NotAction !== undefined ? actionMatches(list(s.NotAction), req.action) : true) {
    return false;
  }
  // Neither Resource nor NotResource (a trust policy): the statement is about the role itself.
  if (s.Resource !== undefined ? !resourceMatches(list(s.Resource), req.resource) : s.NotResource !== undefined ? resourceMatches(list(s.NotResource), req.resource) : false) {
    return false;
  }
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    for (const [key, raw] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, raw, req.context)) return false;
    }
  }
  return true;
}

/** Checks that a document uses only what this evaluator understands; throws naming the problem. */
export function validatePolicy(doc: PolicyDocument, kind: 'identity' | 'trust' = 'identity'): void {
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(doc) || (!isObj(doc.Statement) && !Array.isArray(doc.Statement))) {
    throw new Error('a policy document must be an object with a Statement (an object or an array)');
  }
  for (const s of list(doc.Statement)) {
    if (!isObj(s)) throw new Error('every statement must be an object');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`statement ${s.Sid ?? ''}: Effect must be Allow or Deny`);
    if ((s.Action === undefined) === (s.NotAction === undefined)) throw new Error(`statement ${s.Sid ?? ''}: exactly one of Action and NotAction`);
    if (kind === 'identity') {
      if ((s.Resource === undefined) === (s.NotResource === undefined)) throw new Error(`statement ${s.Sid ?? ''}: exactly one of Resource and NotResource`);
      if (s.Principal !== undefined) throw new Error(`statement ${s.Sid ?? ''}: an identity policy has no Principal`);
    } else {
      if (s.Principal === undefined) throw new Error(`statement ${s.Sid ?? ''}: a trust policy statement needs a Principal`);
      if ('NotPrincipal' in s) throw new Error(`statement ${s.Sid ?? ''}: NotPrincipal is not supported`);
    }
    for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
      for (const [key, raw] of Object.entries(keys)) conditionHolds(operator, key, raw, {});
    }
  }
}

/** AWS's order: any applicable explicit Deny → deny; else any applicable Allow → allow; else implicit deny. */
export function evaluate(policies: readonly PolicyDocument[], req: AuthorizationRequest): Decision {
  let allow: PolicyStatement | undefined;
  for (const doc of policies) {
    for (const s of list(doc.Statement)) {
      if (!statementApplies(s, req)) continue;
      if (s.Effect === 'Deny') return { decision: 'explicit-deny', statement: s };
      allow ??= s;
    }
  }
  return allow ? { decision: 'allow', statement: allow } : { decision: 'implicit-deny' };
}
