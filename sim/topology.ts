import { readFileSync } from 'node:fs';
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
  }[];
  roles?: { arn: string; trustedSubjects: string[] }[];
}

export class TopologyError extends Error {
  override name = 'TopologyError';
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

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Checks shape and cross references, naming the offending field so a typo is found at once. */
export function validateTopology(raw: unknown, source = 'topology'): Topology {
  const fail = (field: string, what: string): never => {
    throw new TopologyError(`${source}: ${field} ${what}`);
  };
  if (!isObj(raw)) return fail('(root)', 'must be an object');
  const vpc = raw.vpc;
  if (!isObj(vpc)) return fail('vpc', 'must be an object');
  if (!isStrArray(vpc.cidrs) || vpc.cidrs.length === 0) fail('vpc.cidrs', 'must be a non-empty array of CIDR strings');
  if (!Array.isArray(vpc.subnets) || vpc.subnets.length === 0) fail('vpc.subnets', 'must be a non-empty array');
  const subnetNames = new Set<string>();
  (vpc.subnets as unknown[]).forEach((s, i) => {
    if (!isObj(s)) return fail(`vpc.subnets[${i}]`, 'must be an object');
    for (const k of ['name', 'cidr', 'az']) if (typeof s[k] !== 'string') fail(`vpc.subnets[${i}].${k}`, 'must be a string');
    if (subnetNames.has(s.name as string)) fail(`vpc.subnets[${i}].name`, `'${s.name}' is used twice`);
    subnetNames.add(s.name as string);
  });
  const sgNames = new Set<string>(['default']);
  if (vpc.securityGroups !== undefined) {
    if (!Array.isArray(vpc.securityGroups)) fail('vpc.securityGroups', 'must be an array');
    (vpc.securityGroups as unknown[]).forEach((g, i) => {
      if (!isObj(g) || typeof g.name !== 'string') return fail(`vpc.securityGroups[${i}].name`, 'must be a string');
      sgNames.add(g.name);
    });
  }
  const names = new Set<string>();
  if (raw.instances !== undefined) {
    if (!Array.isArray(raw.instances)) fail('instances', 'must be an array');
    (raw.instances as unknown[]).forEach((inst, i) => {
      if (!isObj(inst)) return fail(`instances[${i}]`, 'must be an object');
      for (const k of ['name', 'type', 'subnet']) if (typeof inst[k] !== 'string') fail(`instances[${i}].${k}`, 'must be a string');
      if (names.has(inst.name as string)) fail(`instances[${i}].name`, `'${inst.name}' is used twice`);
      names.add(inst.name as string);
      if (!instanceTypeLimits(inst.type as string)) fail(`instances[${i}].type`, `'${inst.type}' is not a known EC2 instance type`);
      if (!subnetNames.has(inst.subnet as string)) fail(`instances[${i}].subnet`, `'${inst.subnet}' is not a subnet of the topology`);
      if (inst.securityGroups !== undefined) {
        if (!isStrArray(inst.securityGroups)) return fail(`instances[${i}].securityGroups`, 'must be an array of names');
        for (const g of inst.securityGroups) if (!sgNames.has(g)) fail(`instances[${i}].securityGroups`, `'${g}' is not defined`);
      }
    });
  }
  if (raw.roles !== undefined) {
    if (!Array.isArray(raw.roles)) fail('roles', 'must be an array');
    (raw.roles as unknown[]).forEach((r, i) => {
      if (!isObj(r) || typeof r.arn !== 'string' || !/^arn:aws:iam::\d{12}:role\/.+/.test(r.arn)) {
        return fail(`roles[${i}].arn`, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
      }
      if (!isStrArray(r.trustedSubjects)) fail(`roles[${i}].trustedSubjects`, 'must be an array of strings');
    });
  }
  if (raw.accountId !== undefined && (typeof raw.accountId !== 'string' || !/^\d{12}$/.test(raw.accountId))) {
    fail('accountId', 'must be 12 digits');
  }
  if (raw.region !== undefined && typeof raw.region !== 'string') fail('region', 'must be a string');
  return raw as unknown as Topology;
}
