/**
 * Which client versions ipamd accepts (DESIGN.md §4: requests carry the client's version). The
 * version itself is the contract's (contract/api.ts), which the plugin sends.
 */
import { API_VERSION } from '../../contract/api.ts';

export { API_VERSION };

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

// semver.org §2, §9, §10: MAJOR.MINOR.PATCH with optional pre-release and build parts (ignored).
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): Version | undefined {
  const m = SEMVER.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

const compare = (a: Version, b: Version): number => a.major - b.major || a.minor - b.minor || a.patch - b.patch;

/**
 * Why `clientVersion` may not talk to this ipamd, or undefined if it may. The message names both
 * versions so an operator reading the plugin's error knows which side to upgrade.
 */
export function clientVersionProblem(clientVersion: string, minClientVersion: string): string | undefined {
  const server = parseVersion(API_VERSION)!;
  const shown = clientVersion === '' ? '(missing)' : JSON.stringify(clientVersion.slice(0, 64));
  const wanted = `ipamd serves API ${API_VERSION} and accepts clients ${server.major}.x at least ${minClientVersion}`;
  const client = parseVersion(clientVersion);
  if (!client) return `client_version ${shown} is not a semantic version; ${wanted}`;
  if (client.major !== server.major) return `client_version ${clientVersion} is incompatible: ${wanted}`;
  if (compare(client, parseVersion(minClientVersion)!) < 0) return `client_version ${clientVersion} is too old: ${wanted}`;
  return undefined;
}
