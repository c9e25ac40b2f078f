/**
 * What `ip -batch` prints when lines fail (iproute2's batch mode: each failing line's complaint,
 * then `Command failed <file>:<line>`), read the same way by the CNI plugin's runner
 * (cni/wire/ip-batch.ts) and ipamd's (ipamd/host-network/commands.ts): issue 10 item 4, one parser.
 * Pure text in, no imports, so both the one-shot plugin and the daemon can load it for free.
 */

/** `RTNETLINK answers: File exists\nCommand failed -:3` -> {3: "RTNETLINK answers: File exists"}. */
export function failedBatchLines(stderr: string): Map<number, string> {
  const failed = new Map<number, string>();
  let pending: string[] = [];
  for (const text of stderr.split('\n')) {
    const m = /^Command failed -:(\d+)$/.exec(text.trim());
    if (m) {
      failed.set(Number(m[1]), pending.join('; ') || 'failed');
      pending = [];
    } else if (text.trim()) pending.push(text.trim());
  }
  return failed;
}
