// Preloaded with --import in a child process: appends every module URL it resolves that belongs to
// the Kubernetes client (the package or ipamd's bundle of it) to $VPCWIRE_LOAD_TRACE.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import process from 'node:process';

const trace = process.env.VPCWIRE_LOAD_TRACE;
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    if (trace && /@kubernetes\/client-node|kube-client\.mjs/.test(r.url)) appendFileSync(trace, `${r.url}\n`);
    return r;
  },
});
