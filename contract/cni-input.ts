/**
 * What a CNI input field may hold (issue 9 item 4): one set of rules that the plugin applies to
 * the runtime's environment and configuration before it asks ipamd anything, and that ipamd applies
 * to the same values arriving as allocation API arguments (ipamd/api/validate.ts). Both sides import
 * this file and nothing else of each other (DESIGN.md §1, §4), so the plugin never accepts what
 * ipamd would refuse, and the plugin's bundle loads no gRPC.
 *
 * Each rule returns undefined for a good value, else the problem in words that read after the
 * field's name ("CNI_IFNAME ..." in the plugin, "if_name ..." in ipamd). Values are shown cut to 64
 * characters, so a message never echoes a huge input.
 *
 * Sources: CNI spec 1.1 "Parameters" (container ID, interface name) and "Configuration format"
 * (network name), libcni's ValidateContainerID / ValidateNetworkName / ValidateInterfaceName, the
 * kernel's dev_valid_name (net/core/dev.c), and Kubernetes' object name limits.
 */

export type Problem = string | undefined;

/** Limits in one place; lengths are UTF-16 code units except the interface name, which is bytes. */
export const LIMITS = {
  networkName: 253,
  containerId: 256,
  /** IFNAMSIZ (16) minus the terminating NUL. */
  ifNameBytes: 15,
  netns: 4096,
  /** K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID: a Kubernetes DNS subdomain at most. */
  podArg: 253,
  podInfraContainerId: 256,
  reason: 256,
} as const;

/** Text cut to `max` characters, saying how much was left out. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length - max} more characters)` : text;
}

/** A value as an error message shows it: JSON-quoted, cut to `max` characters. */
export function shown(value: string, max = 64): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}...` : value);
}

/** Any value, for messages about wrong types: never recurses, never long. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return shown(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

const tooLong = (v: string, max: number): Problem => (v.length > max ? `is ${v.length} characters long, at most ${max} allowed` : undefined);

/** C0 controls, DEL and C1 controls: they garble logs, and `ip -j` prints them unescaped (invalid JSON). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Whitespace as any of the three judges see it: Go's unicode.IsSpace (libcni), JavaScript's \s, and
 * the kernel's isspace() on each byte, which also counts 0xA0 (Latin-1 no-break space), so a name
 * whose UTF-8 holds that byte (e.g. "à" = C3 A0) is refused with EINVAL.
 */
const SPACE = /[\s\u0085]/;

const printable = (v: string): Problem => (CONTROL.test(v) ? `${shown(v)} contains control characters` : undefined);

/** The spec's network name (libcni): a letter or digit, then letters, digits, '_', '.', '-'. */
export function networkNameProblem(v: string): Problem {
  return (
    tooLong(v, LIMITS.networkName) ??
    (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? undefined : `${shown(v)} is invalid: a letter or digit, then letters, digits, "_", "." or "-" (CNI network name)`)
  );
}

/** The spec's container ID: a letter or digit, then letters, digits, '_', '.', '-'. */
export function containerIdProblem(v: string): Problem {
  return (
    tooLong(v, LIMITS.containerId) ??
    (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v) ? undefined : `${shown(v)} is invalid: a letter or digit, then letters, digits, "_", "." or "-" (CNI container ID)`)
  );
}

function utf8Bytes(v: string): Uint8Array {
  return new TextEncoder().encode(v);
}

/**
 * A Linux interface name (spec: "must be a valid Linux interface name"): 1-15 bytes of UTF-8, not
 * "." or "..", no '/', ':' or whitespace (the kernel's rule, with whitespace as above), no '%'
 * (found by fuzzing: the kernel reads it as a name template, "eth%d"), and no control characters. U+FFFD is refused too: it is what invalid UTF-8 in the environment decodes to,
 * so the name the runtime meant cannot be known.
 */
export function ifNameProblem(v: string): Problem {
  const bytes = utf8Bytes(v);
  if (bytes.length > LIMITS.ifNameBytes) return `${shown(v)} is invalid: at most ${LIMITS.ifNameBytes} bytes (IFNAMSIZ), got ${bytes.length}`;
  if (v === '.' || v === '..') return `${shown(v)} is invalid: not "." or ".."`;
  if (/[/:]/.test(v) || SPACE.test(v) || bytes.includes(0xa0)) return `${shown(v)} is invalid: no "/", ":" or whitespace`;
  // The kernel takes a name with '%' as a template ("eth%d" becomes eth0, eth1...) and refuses any other.
  if (v.includes('%')) return `${shown(v)} is invalid: no "%" (the kernel reads it as a name template)`;
  if (v.includes('\ufffd')) return `${shown(v)} is invalid: not valid UTF-8`;
  return printable(v);
}

/** CNI_NETNS: an absolute path, without control characters. */
export function netnsProblem(v: string): Problem {
  return tooLong(v, LIMITS.netns) ?? printable(v) ?? (v.startsWith('/') ? undefined : `${shown(v)} is invalid: must be an absolute path`);
}

/** K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID: printable, at most 253 characters. */
export function podArgProblem(v: string): Problem {
  return tooLong(v, LIMITS.podArg) ?? printable(v);
}

/** K8S_POD_INFRA_CONTAINER_ID: printable, at most 256 characters (a container ID). */
export function podInfraContainerIdProblem(v: string): Problem {
  return tooLong(v, LIMITS.podInfraContainerId) ?? printable(v);
}

/** A DelNetwork reason, for ipamd's log. */
export function reasonProblem(v: string): Problem {
  return tooLong(v, LIMITS.reason) ?? printable(v);
}

/** Canonical dotted-quad IPv4 (no leading zeros, each part 0-255), as ipamd writes addresses. */
export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv6 address in RFC 4291's text forms: 8 groups, or fewer around one "::", optionally ending in a dotted quad. */
export function isIpv6(v: string): boolean {
  if (v.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(v)) return false;
  let s = v;
  let extra = 0;
  if (s.includes('.')) {
    const c = s.lastIndexOf(':');
    if (c < 0 || !IPV4.test(s.slice(c + 1))) return false;
    s = s.slice(0, c + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
    extra = 2; // the dotted quad stands for two groups
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (groups.some((g) => g.some((x) => !/^[0-9A-Fa-f]{1,4}$/.test(x)))) return false;
  const n = groups.reduce((sum, g) => sum + g.length, extra);
  return halves.length === 2 ? n <= 7 : n === 8;
}

/** "a.b.c.d/n" or "v6/n" as a result's `address` holds it; undefined when it is neither. */
export function parseCidr(v: string): { family: 4 | 6; ip: string; prefixLength: number } | undefined {
  const slash = v.indexOf('/');
  if (slash < 0) return undefined;
  const ip = v.slice(0, slash);
  const len = v.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(len)) return undefined;
  const n = Number(len);
  if (IPV4.test(ip)) return n <= 32 ? { family: 4, ip, prefixLength: n } : undefined;
  if (isIpv6(ip)) return n <= 128 ? { family: 6, ip, prefixLength: n } : undefined;
  return undefined;
}
