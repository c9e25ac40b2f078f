import { readFileSync } from 'node:fs';
import { SimError } from './errors.ts';
import { type PolicyDocument, validatePolicy } from './iam/evaluate.ts';
import { instanceTypeLimits } from './model/limits.ts';

/** A topology file: the VPC, its subnets and security groups, the instances, the IRSA roles. */
export interface Topology {
  region?: string;
  accountId?: string;
  vpc: {
    cidrs: string[];
    tags?: Record<string, string>;
    subnets: { name: string; cidr: string; az: string; tags?: Record<string, string> }[];
    securityGroups?: { name: string; description?: string }[];
  };
  instances?: {
    name: string;
    type: string;
    subnet: string;
    securityGroups?: string[];
    tags?: Record<string, string>;
    /**
     * Tags on the instance's primary ENI, as a launch template's `network-interface` tag
     * specification puts them (e.g. `cluster.k8s.amazonaws.com/name` for the scoped IAM policy).
     */
    primaryEniTags?: Record<string, string>;
  }[];
  /**
   * IAM roles for IRSA. Who may assume one: `trustedSubjects` (service-account subjects, StringLike)
   * or a `trustPolicy` document (Principal Federated = the emulator's OIDC provider ARN, conditions on
   * `<issuer>:sub` / `<issuer>:aud`). `policies`: the role's identity policies, enforced on EC2 calls
   * made with its sessions; without it the role is unrestricted (the emulator's default).
   */
  roles?: { arn: string; trustedSubjects?: string[]; trustPolicy?: PolicyDocument; policies?: PolicyDocument[] }[];
}

export class TopologyError extends SimError {
  declare readonly code: 'SIM_TOPOLOGY_INVALID';
  constructor(message: string) {
    super('SIM_TOPOLOGY_INVALID', message);
    this.name = 'TopologyError';
  }
}

export const DEFAULT_TOPOLOGY_FILE = new URL('./topologies/default.json', import.meta.url);

export function loadTopology(path: string | URL = DEFAULT_TOPOLOGY_FILE): Topology {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TopologyError(`topology ${String(path)}: ${(e as Error).message}`);
  }
  return validateTopology(raw, String(path));
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrRecord = (v: unknown): v is Record<string, string> =>
  isObj(v) && Object.values(v).every((x) => typeof x === 'string');
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks shape and cross references, naming the offending field so a typo is found at once. */
export function validateTopology(raw: unknown, source = 'topology'): Topology {
  const check: (ok: boolean, field: string, what: string) => asserts ok = (ok, field, what) => {
    if (!ok) throw new TopologyError(`${source}: ${field} ${what}`);
  };
  check(isObj(raw), '(root)', 'must be an object');
  const vpc = raw.vpc;
  check(isObj(vpc), 'vpc', 'must be an object');
  check(
    isStrArray(vpc.cidrs) && vpc.cidrs.length > 0,
    'vpc.cidrs',
    'must be a non-empty array of CIDR strings',
  );
  check(Array.isArray(vpc.subnets) && vpc.subnets.length > 0, 'vpc.subnets', 'must be a non-empty array');
  const subnetNames = new Set<string>();
  for (const [i, s] of (vpc.subnets as unknown[]).entries()) {
    check(isObj(s), `vpc.subnets[${i}]`, 'must be an object');
    for (const k of ['name', 'cidr', 'az'])
      check(typeof s[k] === 'string', `vpc.subnets[${i}].${k}`, 'must be a string');
    check(!subnetNames.has(s.name as string), `vpc.subnets[${i}].name`, `'${s.name}' is used twice`);
    // Subnet tags steer ipamd's subnet discovery (kubernetes.io/role/cni), so a typo must not pass.
    check(s.tags === undefined || isStrRecord(s.tags), `vpc.subnets[${i}].tags`, 'must be an object of string values');
    subnetNames.add(s.name as string);
  }
  const sgNames = new Set<string>(['default']);
  if (vpc.securityGroups !== undefined) {
    check(Array.isArray(vpc.securityGroups), 'vpc.securityGroups', 'must be an array');
    for (const [i, g] of vpc.securityGroups.entries()) {
      check(isObj(g) && typeof g.name === 'string', `vpc.securityGroups[${i}].name`, 'must be a string');
      sgNames.add(g.name as string);
    }
  }
  const names = new Set<string>();
  if (raw.instances !== undefined) {
    check(Array.isArray(raw.instances), 'instances', 'must be an array');
    for (const [i, inst] of raw.instances.entries()) {
      const at = `instances[${i}]`;
      check(isObj(inst), at, 'must be an object');
      for (const k of ['name', 'type', 'subnet'])
        check(typeof inst[k] === 'string', `${at}.${k}`, 'must be a string');
      check(!names.has(inst.name as string), `${at}.name`, `'${inst.name}' is used twice`);
      names.add(inst.name as string);
      check(
        !!instanceTypeLimits(inst.type as string),
        `${at}.type`,
        `'${inst.type}' is not a known EC2 instance type`,
      );
      check(
        subnetNames.has(inst.subnet as string),
        `${at}.subnet`,
        `'${inst.subnet}' is not a subnet of the topology`,
      );
      check(
        inst.primaryEniTags === undefined || isStrRecord(inst.primaryEniTags),
        `${at}.primaryEniTags`,
        'must be an object of string values',
      );
      if (inst.securityGroups !== undefined) {
        check(isStrArray(inst.securityGroups), `${at}.securityGroups`, 'must be an array of names');
        for (const g of inst.securityGroups)
          check(sgNames.has(g), `${at}.securityGroups`, `'${g}' is not defined`);
      }
    }
  }
  if (raw.roles !== undefined) {
    check(Array.isArray(raw.roles), 'roles', 'must be an array');
    for (const [i, r] of raw.roles.entries()) {
      check(
        isObj(r) && typeof r.arn === 'string' && /^arn:aws:iam::\d{12}:role\/.+/.test(r.arn),
        `roles[${i}].arn`,
        'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
      );
      check(
        r.trustedSubjects === undefined ? r.trustPolicy !== undefined : isStrArray(r.trustedSubjects),
        `roles[${i}].trustedSubjects`,
        'must be an array of strings (or give a trustPolicy)',
      );
      if (r.trustPolicy !== undefined) {
        try {
          validatePolicy(r.trustPolicy as PolicyDocument, 'trust');
        } catch (e) {
          throw new TopologyError(`${source}: roles[${i}].trustPolicy ${(e as Error).message}`);
        }
      }
      if (r.policies !== undefined) {
        check(Array.isArray(r.policies), `roles[${i}].policies`, 'must be an array of IAM policy documents');
        for (const [j, doc] of r.policies.entries()) {
          try {
            check(isObj(doc), `roles[${i}].policies[${j}]`, 'must be an object');
            validatePolicy(doc as unknown as PolicyDocument);
          } catch (e) {
            if (e instanceof TopologyError) throw e;
            throw new TopologyError(`${source}: roles[${i}].policies[${j}] ${(e as Error).message}`);
          }
        }
      }
    }
  }
  check(
    raw.accountId === undefined || (typeof raw.accountId === 'string' && /^\d{12}$/.test(raw.accountId)),
    'accountId',
    'must be 12 digits',
  );
  check(raw.region === undefined || typeof raw.region === 'string', 'region', 'must be a string');
  return raw as unknown as Topology;
}
