// Three destinations at once, with adaptive tail sampling in front of the trace exporters:
// - console: the trace tree of every KEPT trace;
// - otlp: the same kept traces to an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT, else a local sink);
// - prometheus: GenAI metrics from EVERY call (metrics are never sampled) on /metrics.
import { setupTelemetry } from '@genai-otel/node';
import { startOtlpSink } from './otlp-sink.mjs';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
export const sink = endpoint ? undefined : await startOtlpSink();

export const prometheusPort = Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464);

export const telemetry = setupTelemetry({
  serviceName: 'multi-exporter',
  traceExporters: ['console', 'otlp'],
  // The local sink speaks OTLP/JSON; a real endpoint gets the default (http/protobuf) unless
  // OTEL_EXPORTER_OTLP_PROTOCOL says otherwise.
  otlp: sink ? { endpoint: sink.url, protocol: 'http/json' } : {},
  metricExporters: ['prometheus'],
  prometheus: { port: prometheusPort, host: '127.0.0.1' },
  adaptiveSampling: {
    // Keep every error and every trace slower than 1 s; sample the fast successful rest at 1-5%.
    slowThresholdMs: 1000,
    minRate: 0.01,
    maxRate: 0.05,
    // Decide 100 ms after a trace's root ends (default 1 s).
    decisionWaitMs: 100,
  },
  console: { rootAttributes: ['sampling.reason'] },
});
