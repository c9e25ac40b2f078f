#!/usr/bin/env node
/**
 * Records the exposition the publisher's benchmark serves (publisher-bench.ts): a real ipamd
 * (m5.4xlarge, prefix mode) against the emulator with 250 pods added and 10 deleted, its /metrics
 * as scraped. Checked in as fixtures/ipamd-250-pods.prom so runs compare; rerun to refresh it
 * after ipamd's metrics change:  node test/bench/record-exposition.ts
 */
import { writeFileSync } from 'node:fs';
import { startObservedIpamd } from '../helpers/observed-ipamd.ts';

export const RECORDED = new URL('./fixtures/ipamd-250-pods.prom', import.meta.url);

if (process.argv[1] === import.meta.filename) {
  const o = await startObservedIpamd({ type: 'm5.4xlarge', env: { ENABLE_PREFIX_DELEGATION: 'true', IP_COOLDOWN_PERIOD: '3600' } });
  try {
    for (let i = 0; i < 250; i++) await o.add(i);
    for (let i = 0; i < 10; i++) await o.del(i);
    const res = await fetch(`http://${o.metrics}/metrics`);
    const text = await res.text();
    writeFileSync(RECORDED, text);
    process.stdout.write(`${RECORDED.pathname}: ${text.length} bytes, ${text.split('\n').filter((l) => l && !l.startsWith('#')).length} samples\n`);
  } finally {
    await o.stop();
  }
}
