/**
 * `vpcwire metrics-helper`: the CloudWatch publisher (upstream's cni-metrics-helper), a
 * Deployment of one replica (charts/vpcwire metricsHelper). Exit 2 on a bad setting (the message
 * names it), 1 when it cannot start (no API server, unreadable state); once running it only stops
 * on SIGTERM/SIGINT, after the send in progress is recorded or, past SHUTDOWN_GRACE_MS, given up
 * (its period then stays unsent in the stored baselines, so the next publisher sends it).
 */
import { cloudWatchSender } from './cloudwatch.ts';
import { kubeCoreApi } from './kube.ts';
import { Ledger } from './ledger.ts';
import { jsonLog } from './log.ts';
import { MAX_READING_AGE_SCRAPES, Publisher, runPublisher, SHUTDOWN_GRACE_MS } from './publisher.ts';
import { parseSettings, SettingsError, USAGE } from './settings.ts';
import { configMapStateStore } from './state-store.ts';
import { listTargets, makeScraper } from './targets.ts';

/** After the send's grace, how long the rest of the shutdown (storing, closing sockets) may take. */
const EXIT_MARGIN_MS = 2_000;

export async function runMetricsHelperCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let s;
  try {
    s = parseSettings(argv, process.env);
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    process.stderr.write(`vpcwire metrics-helper: ${e.message}\n`);
    return 2;
  }
  const log = jsonLog(undefined, process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info');
  const stop = new AbortController();
  const onSignal = (sig: string) => () => {
    log('info', 'stopping', { signal: sig });
    stop.abort();
    // Bounded: whatever still holds the process (a listing or a store the API server does not
    // answer) does not keep it past the send's grace and a moment more.
    setTimeout(() => {
      log('warn', 'exiting with work still pending', { afterMs: SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS });
      process.exit(0);
    }, SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS).unref();
  };
  process.once('SIGTERM', onSignal('SIGTERM'));
  process.once('SIGINT', onSignal('SIGINT'));
  try {
    const core = await kubeCoreApi(s);
    const store = configMapStateStore(core, s.stateNamespace, s.stateConfigMap, { log });
    const state = await store.load();
    const sender = await cloudWatchSender(s);
    const publisher = new Publisher({
      ledger: new Ledger(state),
      list: () => listTargets(core, s),
      scrape: makeScraper(core, s),
      sender,
      store,
      log,
      clusterId: s.clusterId,
      nodeDimension: s.nodeDimension,
      scrapeTimeoutMs: s.scrapeTimeoutMs,
      maxReadingAgeMs: MAX_READING_AGE_SCRAPES * s.scrapeIntervalMs,
    });
    log('info', 'started', {
      clusterId: s.clusterId,
      namespace: s.cloudwatchNamespace,
      scrape: s.scrape,
      ipamd: `${s.ipamdNamespace}/${s.ipamdSelector}`,
      scrapeIntervalMs: s.scrapeIntervalMs,
      publishIntervalMs: s.publishIntervalMs,
      state: `${s.stateNamespace}/${s.stateConfigMap}`,
      storedBaselines: Object.keys(state.baselines).length,
      epoch: new Date(state.epoch).toISOString(),
    });
    await runPublisher(publisher, { scrapeIntervalMs: s.scrapeIntervalMs, publishIntervalMs: s.publishIntervalMs, signal: stop.signal, graceMs: SHUTDOWN_GRACE_MS });
    sender.client.destroy();
    log('info', 'stopped');
    return 0;
  } catch (e) {
    if (e instanceof SettingsError) {
      process.stderr.write(`vpcwire metrics-helper: ${e.message}\n`);
      return 2;
    }
    log('error', 'cannot start', { error: (e as Error).message, code: (e as { code?: unknown }).code });
    return 1;
  }
}
