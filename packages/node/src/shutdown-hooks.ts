/**
 * Flush on the way out without changing how the application exits:
 * - `beforeExit` (the event loop ran dry): shut down, flushing every exporter;
 * - SIGTERM / SIGINT: flush (bounded), then, if nobody else listens for the signal, re-raise it
 *   so the process ends exactly as it would have without us; if the application has its own
 *   handler, we only flush and leave the decision to it;
 * - `exit` (synchronous, e.g. `process.exit()`): print what the console tree still holds.
 */
import { logSwallowed } from '@genai-otel/core';
import type { SpanExporterLike, TelemetryHandle } from './types.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const SIGNAL_FLUSH_TIMEOUT_MS = 5000;

export function installShutdownHooks(
  handle: TelemetryHandle,
  syncExporters: () => SpanExporterLike[],
): () => void {
  let done = false;
  const onBeforeExit = () => {
    if (done) return;
    done = true;
    handle.shutdown().catch((err) => logSwallowed('shutdown on exit', err));
  };
  const onExit = () => {
    for (const exporter of syncExporters()) {
      try {
        // The console tree flushes synchronously; network exporters cannot run any more.
        void exporter.forceFlush?.();
      } catch (err) {
        logSwallowed('flush on exit', err);
      }
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // `once` already removed our listener: any listener left is the application's.
    const othersListen = process.listenerCount(signal) > 0;
    const flush = Promise.race([
      handle.shutdown(),
      new Promise<void>((resolve) => setTimeout(resolve, SIGNAL_FLUSH_TIMEOUT_MS).unref()),
    ]).catch((err) => logSwallowed('shutdown on signal', err));
    if (othersListen) return; // the application decides how to exit
    void flush.then(() => {
      remove();
      // Default action: terminate by the same signal, as if we had never listened.
      process.kill(process.pid, signal);
    });
  };
  process.once('beforeExit', onBeforeExit);
  process.once('exit', onExit);
  for (const s of SIGNALS) process.once(s, onSignal);
  const remove = () => {
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('exit', onExit);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
  return remove;
}
