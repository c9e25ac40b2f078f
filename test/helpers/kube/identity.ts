/**
 * ipamd's identity in a test cluster, exactly as shipped (issue 11 item 7): the repository's
 * ClusterRoles (deploy/kubernetes/rbac.yaml) bound to a service account, and a token for it from
 * the TokenRequest API laid out where in-cluster configuration reads it. ipamd never runs as admin.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';

const DEPLOY = new URL('../../../deploy/kubernetes/', import.meta.url);
export const RBAC_FILE = new URL('rbac.yaml', DEPLOY);
export const ENICONFIG_CRD_FILE = new URL('eniconfig-crd.yaml', DEPLOY);

export function manifests(file: URL): KubernetesObject[] {
  return loadAllYaml(readFileSync(file, 'utf8')) as KubernetesObject[];
}

/** Creates (or replaces) each object as the admin. */
export async function apply(kc: KubeConfig, objects: readonly KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) {
    try {
      await api.create(o);
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      const live = await api.read({ apiVersion: o.apiVersion!, kind: o.kind!, metadata: { name: o.metadata!.name!, namespace: o.metadata?.namespace ?? '' } });
      await api.replace({ ...o, metadata: { ...o.metadata, resourceVersion: live.metadata!.resourceVersion! } });
    }
  }
}

/** Installs the ENIConfig CRD from the repository and waits until it is established. */
export async function installEniConfigCrd(kc: KubeConfig): Promise<void> {
  await apply(kc, manifests(ENICONFIG_CRD_FILE));
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (let i = 0; i < 100; i++) {
    const crd = await api.readCustomResourceDefinition({ name: 'eniconfigs.crd.k8s.amazonaws.com' });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await sleep(100);
  }
  throw new Error('the ENIConfig CRD was not established within 10 s');
}

export interface IpamdIdentity {
  /** Pass as VPCWIRE_SERVICEACCOUNT_ROOT: holds var/run/secrets/kubernetes.io/serviceaccount/. */
  readonly root: string;
  readonly token: string;
  /** The env that makes ipamd use in-cluster configuration against this control plane. */
  readonly env: Record<string, string>;
}

export interface IdentityOptions {
  readonly name?: string;
  /** Also bind vpcwire-pod-ip-annotation (pods patch), as the chart does with ANNOTATE_POD_IP. */
  readonly annotatePodIp?: boolean;
  /** Rules to drop from the shipped vpcwire role (to show what a missing grant looks like). */
  readonly dropRule?: (rule: { resources?: string[]; verbs: string[] }) => boolean;
}

/** A service account in kube-system bound to the shipped roles, and its token in `dir`. */
export async function ipamdIdentity(cp: ControlPlane, dir: string, opts: IdentityOptions = {}): Promise<IpamdIdentity> {
  const kc = cp.admin();
  const name = opts.name ?? 'vpcwire';
  const ns = 'kube-system';
  const roles = manifests(RBAC_FILE) as (KubernetesObject & { rules: { resources?: string[]; verbs: string[] }[] })[];
  const bound = roles
    .filter((r) => r.metadata!.name === 'vpcwire' || (opts.annotatePodIp && r.metadata!.name === 'vpcwire-pod-ip-annotation'))
    .map((r) => ({
      ...r,
      metadata: { name: `${name}-${r.metadata!.name}` },
      rules: opts.dropRule ? r.rules.filter((x) => !opts.dropRule!(x)) : r.rules,
    }));
  await apply(kc, bound);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } }).catch((e: { code?: number }) => {
    if (e.code !== 409) throw e;
  });
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  for (const role of bound) {
    const bindingName = role.metadata.name;
    await rbac.deleteClusterRoleBinding({ name: bindingName }).catch(() => undefined);
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: bindingName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: bindingName },
        subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
      },
    });
  }
  return serviceAccountToken(cp, dir, ns, name);
}

/**
 * A token of `namespace/name` from the TokenRequest API, laid out where in-cluster configuration
 * reads it under the returned root (VPCWIRE_SERVICEACCOUNT_ROOT), with the env that points a
 * process at this control plane. The account must exist.
 */
export async function serviceAccountToken(cp: ControlPlane, dir: string, ns: string, name: string): Promise<IpamdIdentity> {
  const core = cp.admin().makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace: ns,
    body: { spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`TokenRequest for ${ns}/${name} returned no token`);
  const root = join(dir, `sa-${ns === 'kube-system' ? '' : `${ns}-`}${name}`);
  const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), token);
  writeFileSync(join(sa, 'ca.crt'), readFileSync(cp.pki.caCert));
  writeFileSync(join(sa, 'namespace'), ns);
  const url = new URL(cp.server);
  return {
    root,
    token,
    env: { VPCWIRE_SERVICEACCOUNT_ROOT: root, KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
  };
}
