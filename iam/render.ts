#!/usr/bin/env node
/**
 * Renders vpcwire's IAM documents (iam/policies.ts).
 *
 *   node iam/render.ts --account 123456789012 --region eu-west-1 --cluster prod --vpc vpc-0abc \
 *     --oidc-issuer https://oidc.eks.eu-west-1.amazonaws.com/id/ABC [--partition aws] \
 *     [--metrics-namespace Kubernetes] [--service-account vpcwire] [--metrics-service-account vpcwire-metrics] \
 *     [--out DIR | --doc cni-policy-scoped.json]
 *   node iam/render.ts --example      rewrites iam/*.json for the example account
 *
 * Without --out or --doc it prints every document as one JSON object keyed by file name.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXAMPLE, renderAll, toJson } from './policies.ts';

const { values: v } = parseArgs({
  options: {
    example: { type: 'boolean' },
    partition: { type: 'string', default: 'aws' },
    account: { type: 'string' },
    region: { type: 'string' },
    cluster: { type: 'string' },
    vpc: { type: 'string' },
    'oidc-issuer': { type: 'string' },
    'metrics-namespace': { type: 'string', default: EXAMPLE.metricsNamespace },
    'service-account': { type: 'string', default: EXAMPLE.serviceAccount },
    'metrics-service-account': { type: 'string', default: EXAMPLE.metricsServiceAccount },
    out: { type: 'string' },
    doc: { type: 'string' },
  },
});

if (v.example) {
  const dir = import.meta.dirname;
  for (const [name, doc] of Object.entries(renderAll(EXAMPLE))) writeFileSync(join(dir, name), toJson(doc));
  process.exit(0);
}
const missing = (['account', 'region', 'cluster', 'vpc', 'oidc-issuer'] as const).filter((k) => !v[k]);
if (missing.length) {
  process.stderr.write(`render: missing ${missing.map((k) => `--${k}`).join(', ')}\n`);
  process.exit(2);
}
const docs = renderAll({
  partition: v.partition!,
  accountId: v.account!,
  region: v.region!,
  clusterName: v.cluster!,
  vpcId: v.vpc!,
  oidcIssuer: v['oidc-issuer']!,
  metricsNamespace: v['metrics-namespace']!,
  serviceAccount: v['service-account']!,
  metricsServiceAccount: v['metrics-service-account']!,
});
if (v.doc) {
  const doc = docs[v.doc];
  if (!doc) {
    process.stderr.write(`render: no document ${v.doc} (known: ${Object.keys(docs).join(', ')})\n`);
    process.exit(2);
  }
  process.stdout.write(toJson(doc));
} else if (v.out) {
  for (const [name, doc] of Object.entries(docs)) writeFileSync(join(v.out, name), toJson(doc));
} else {
  process.stdout.write(`${JSON.stringify(docs, null, 2)}\n`);
}
