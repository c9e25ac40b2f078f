/**
 * The real helm (helm.sh/helm/v4, built with the control plane by test/control-plane/build.sh) for
 * the chart tests (issue 12): run it, render the chart with a set of values, parse what it prints.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { controlPlaneBin } from './kube/control-plane.ts';

export const CHART = new URL('../../charts/vpcwire', import.meta.url).pathname;

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let bin: string | undefined;
export function helmBin(): string {
  bin ??= join(controlPlaneBin(), 'helm');
  return bin;
}

/** Runs helm with its home, caches and config in a private directory (never the user's ~/.config/helm or ~/.kube). */
export function helm(args: readonly string[], env: Record<string, string> = {}): Run {
  const home = mkdtempSync(join(tmpdir(), 'vpcwire-helm-home-'));
  const r = spawnSync(helmBin(), args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data'), ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A values file holding `values` (JSON is YAML), for --values. */
export function valuesFile(values: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vpcwire-values-')), 'values.yaml');
  writeFileSync(file, JSON.stringify(values));
  return file;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Plain objects from YAML documents (JSON round trip: no client model classes). */
export function parseObjects(yaml: string): K8sObject[] {
  return (JSON.parse(JSON.stringify(loadAllYaml(yaml))) as (K8sObject | null)[]).filter((o): o is K8sObject => o !== null);
}

/** `helm template` of the chart with these values; throws with helm's stderr when it refuses. */
export function render(values: unknown = {}, extra: readonly string[] = []): K8sObject[] {
  const r = helm(['template', 'vpcwire', CHART, '--namespace', 'kube-system', '--values', valuesFile(values), ...extra]);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}):\n${r.stderr}`);
  return parseObjects(r.stdout);
}

export const find = (objects: readonly K8sObject[], kind: string, name?: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
