/** The plugin's own version and the CNI spec versions it speaks (spec §VERSION). */
export const PLUGIN_NAME = 'vpcwire';
export const PLUGIN_VERSION = '0.1.0';
export const CURRENT_SPEC = '1.1.0';
export const SUPPORTED_SPECS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/**
 * Whether the runtime's cniVersion is one vpcwire speaks: exactly one of the listed strings, as
 * libcni and the reference plugins compare them ("1.1", "01.1.0", " 1.1.0" and "1.1.0.0" are not
 * versions this plugin speaks, whatever number parsing would make of them).
 */
export const isSupportedSpec = (v: unknown): v is (typeof SUPPORTED_SPECS)[number] =>
  typeof v === 'string' && (SUPPORTED_SPECS as readonly string[]).includes(v);

/** -1, 0, 1 like a comparator, for two supported versions (MAJOR.MINOR.PATCH). */
export function compareSpec(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** What VERSION prints (spec §VERSION), in the version the runtime asked for when this plugin speaks it. */
export function versionReport(cniVersion = CURRENT_SPEC): string {
  return JSON.stringify({ cniVersion, supportedVersions: SUPPORTED_SPECS });
}

/** The reference plugins' `about` line, printed when run with no CNI_COMMAND. */
export const ABOUT = `CNI ${PLUGIN_NAME} plugin v${PLUGIN_VERSION}\nCNI protocol versions supported: ${SUPPORTED_SPECS.join(', ')}\n`;
