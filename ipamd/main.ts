#!/usr/bin/env node
/**
 * ipamd's entry point: configuration from the environment, the CNI installer around the daemon
 * (issue 4 item 3: plugin in place before start, conflist only once serving, conflist gone first
 * on SIGTERM), then the daemon until SIGTERM/SIGINT.
 */
import { enableCompileCache } from 'node:module';
import { pluginSocketPath } from '../contract/paths.ts';
import { type Config, parseConfig } from './config.ts';
import { IpamdError, isIpamdError } from './errors.ts';
import { type InstallConfig, parseInstallConfig } from './install/config.ts';

// Loading the AWS SDK and gRPC is most of ipamd's start (about 0.8 s of 1 s here); Node's compile
// cache takes about a third off every start after the first. Enabled before the daemon loads.
enableCompileCache?.();

async function main(): Promise<number> {
  let config: Config;
  let install: InstallConfig;
  try {
    config = parseConfig(process.env);
    install = parseInstallConfig(process.env);
  } catch (e) {
    if (isIpamdError(e, 'IPAMD_CONFIG_INVALID')) {
      process.stderr.write(`ipamd: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const { createLogger } = await import('./logger.ts');
  let logger: ReturnType<typeof createLogger>;
  let installer: ReturnType<(typeof import('./install/installer.ts'))['createInstaller']> | undefined;
  try {
    logger = createLogger(config); // an unwritable AWS_VPC_K8S_CNI_LOG_FILE is refused here, naming it
    const { createInstaller } = await import('./install/installer.ts');
    installer = install.enabled ? createInstaller(install, logger) : undefined;
    await installer?.prepare();
  } catch (e) {
    if (isIpamdError(e, 'IPAMD_CONFIG_INVALID')) {
      process.stderr.write(`ipamd: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const { startIpamd } = await import('./daemon.ts');
  let ipamd: Awaited<ReturnType<typeof startIpamd>> | undefined;
  // SIGUSR2: an operator who changed routes, rules or iptables by hand need not wait for the next
  // pass. Handled from here on, so one sent while ipamd starts does not kill it (the default).
  const checkNow = () => {
    logger.info(ipamd ? 'SIGUSR2: checking host networking now' : 'SIGUSR2 ignored: ipamd is still starting (it checks before serving)');
    void ipamd?.checkHostNetwork();
  };
  process.on('SIGUSR2', checkNow);
  try {
    ipamd = await startIpamd(config, {
      logger,
      ...(process.env.VPCWIRE_NET_DIR ? { netDir: process.env.VPCWIRE_NET_DIR } : {}),
    });
  } catch (e) {
    // Expected failures (IMDS unreachable, socket directory unsafe, ...) are IpamdErrors with a code
    // and a message that says what to do; only an unexpected one gets its stack, and only in the log.
    logger.error('ipamd could not start', {
      error: oneLine(e),
      ...(e instanceof IpamdError ? { code: e.code } : { stack: (e as Error | undefined)?.stack }),
    });
    process.stderr.write(`ipamd: ${oneLine(e)}\n`);
    return 1;
  }
  // Listen before announcing: a SIGTERM that lands while the conflist is being written must still
  // take it away again (the default action would exit and leave the node Ready without ipamd).
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  if (installer) {
    const { connectIpam } = await import('./api/client.ts');
    const client = connectIpam(config.socketPath, { deadlineMs: 5000 });
    try {
      await installer.announce(
        { socket: pluginSocketPath(config.socketPath), releaseNotesDir: config.releaseNotesDir, vethPrefix: config.vethPrefix },
        () => client.checkHealth(),
      );
    } catch (e) {
      // Serving without a conflist would be a node that never turns Ready: stop and let the
      // DaemonSet restart us, loudly.
      logger.error('CNI conflist not written; stopping', { error: String(e) });
      await installer.withdraw().catch(() => undefined);
      await ipamd.stop();
      process.stderr.write(`ipamd: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    } finally {
      client.close();
    }
  }
  await stopRequested;
  process.off('SIGUSR2', checkNow);
  // Conflist first, so the runtime stops sending pods here while ipamd still answers DELs.
  await installer?.withdraw();
  await ipamd.stop();
  // Exit now: everything is durable and the socket is gone; an idle keep-alive connection to IMDS
  // (the SDK's MetadataService cannot be closed) would otherwise hold the process for seconds.
  process.exit(0);
}

/** An error as one line for people: its message, never a stack. */
function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ').trim();
}

const exitSoon = (code: number) => {
  process.exitCode = code;
  // Let the log flush, but do not wait on a request still in flight (an IMDS attempt cut at the
  // deadline) or an idle keep-alive connection.
  setTimeout(() => process.exit(code), 2000).unref();
};

main().then(exitSoon, (err: unknown) => {
  process.stderr.write(`ipamd: ${oneLine(err)}\n`);
  exitSoon(1);
});
