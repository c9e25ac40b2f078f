/**
 * The release note's file format (DESIGN.md §5): when DEL cannot reach ipamd, the plugin leaves one
 * file per CNI triple in the release-notes directory (paths.ts), and ipamd replays every note at
 * start, releasing the triple's address. One JSON object, `{"network", "containerId", "ifName",
 * "at"}` (`at` an ISO time, for people), in a file named `<id>.json`. The plugin writes it
 * (cni/release-note.ts: atomically, 0600); ipamd reads it (ipamd/release-notes.ts: only its own).
 */
import type { AllocationKey } from './types.ts';

/** Notes are `*.json`; anything else in the directory (a writer's temporary file) is not a note. */
export const RELEASE_NOTE_SUFFIX = '.json';

export function encodeReleaseNote(key: AllocationKey, at: Date): string {
  return JSON.stringify({ network: key.networkName, containerId: key.containerId, ifName: key.ifName, at: at.toISOString() });
}

/** The triple a note names, or undefined when the text is not a note (not JSON, a field missing). */
export function decodeReleaseNote(text: string): AllocationKey | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = v as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) return undefined;
  if (typeof o.network !== 'string' || typeof o.containerId !== 'string' || typeof o.ifName !== 'string') return undefined;
  return { networkName: o.network, containerId: o.containerId, ifName: o.ifName };
}
