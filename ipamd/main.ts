#!/usr/bin/env node
/** ipamd's entry point: configuration from the environment, then the daemon until SIGTERM. */
import { enableCompileCache } from 'node:module';
import { parseConfig } from './config.ts';
import { isIpamdError } from './errors.ts';

// Loading the AWS SDK and gRPC is most of ipamd's start (about 0.8 s of 1 s here); Node's compile
// cache takes about a third off every start after the first. Enabled before the daemon loads.
enableCompileCache?.();

async function main(): Promise<number> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (e) {
    if (isIpamdError(e, 'CONFIG_INVALID')) {
      process.stderr.write(`ipamd: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const { startIpamd } = await import('./daemon.ts');
  const ipamd = await startIpamd(config, {
    ...(process.env.VPCWIRE_NET_DIR ? { netDir: process.env.VPCWIRE_NET_DIR } : {}),
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await ipamd.stop();
  // Exit now: everything is durable and the socket is gone; an idle keep-alive connection to IMDS
  // (the SDK's MetadataService cannot be closed) would otherwise hold the process for seconds.
  process.exit(0);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ipamd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
