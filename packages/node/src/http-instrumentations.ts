/**
 * HTTP client spans: the standard OpenTelemetry instrumentations for `node:http`/`https`
 * (`@opentelemetry/instrumentation-http`) and for `fetch`/undici
 * (`@opentelemetry/instrumentation-undici`), on by default so the raw HTTP calls made during an
 * LLM run (the provider SDK's own request, a retriever's call, a tool's API call) appear under
 * the span that caused them. Our exporters run with tracing suppressed, so exporting never
 * traces itself.
 */
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import {
  HttpInstrumentation,
  type HttpInstrumentationConfig,
} from '@opentelemetry/instrumentation-http';
import {
  UndiciInstrumentation,
  type UndiciInstrumentationConfig,
} from '@opentelemetry/instrumentation-undici';
import { envList } from './env.js';

export type { HttpInstrumentationConfig, UndiciInstrumentationConfig };

/** Which HTTP instrumentations to enable (`true`/`false`, or a config object that turns it on). */
export interface HttpInstrumentationSelection {
  /**
   * `node:http` / `node:https`. Default on, for outgoing requests only; pass
   * `{ disableIncomingRequestInstrumentation: false }` for server spans too.
   */
  http?: boolean | HttpInstrumentationConfig;
  /** `fetch` and `undici` (what most LLM SDKs use on Node 18+). Default on. */
  undici?: boolean | UndiciInstrumentationConfig;
}

const OTLP_PATHS = ['/v1/traces', '/v1/metrics', '/v1/logs'];

export type HttpInstrumentationSetting = boolean | HttpInstrumentationSelection;

/** Names accepted in `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS`. */
export const HTTP_INSTRUMENTATION_NAMES = ['http', 'undici'] as const;

/**
 * The HTTP instrumentations to register. `setting` false turns both off; otherwise each is on
 * unless its entry is false, or the environment disables it (`OTEL_NODE_DISABLED_INSTRUMENTATIONS`
 * lists it, or `OTEL_NODE_ENABLED_INSTRUMENTATIONS` is set without it). An explicit entry
 * (true or a config) wins over the environment.
 */
export function createHttpInstrumentations(
  setting: HttpInstrumentationSetting | undefined,
  options: { ignoreIncomingPaths?: string[] } = {},
): Instrumentation[] {
  if (setting === false) return [];
  const selection: HttpInstrumentationSelection = typeof setting === 'object' ? setting : {};
  const enabled = envList('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  const disabled = envList('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  const on = (name: (typeof HTTP_INSTRUMENTATION_NAMES)[number]): boolean => {
    const choice = selection[name];
    if (choice === false) return false;
    if (choice === true || (typeof choice === 'object' && choice !== null)) return true;
    if (disabled?.includes(name)) return false;
    if (enabled && !enabled.includes(name)) return false;
    return true;
  };
  const out: Instrumentation[] = [];
  if (on('http')) {
    try {
      const own = typeof selection.http === 'object' ? selection.http : {};
      const ignored = [...OTLP_PATHS, ...(options.ignoreIncomingPaths ?? [])];
      // Client spans by default; server spans when asked (`disableIncomingRequestInstrumentation: false`).
      const config: HttpInstrumentationConfig = {
        disableIncomingRequestInstrumentation: true,
        ...own,
      };
      if (own.ignoreIncomingRequestHook === undefined) {
        // Telemetry traffic (OTLP received in-process, Prometheus scrapes) is not application traffic.
        config.ignoreIncomingRequestHook = (req) => {
          const path = (req.url ?? '').split('?')[0] ?? '';
          return ignored.includes(path);
        };
      }
      out.push(new HttpInstrumentation(config));
    } catch (err) {
      diag.error('genai-otel: could not create the HTTP instrumentation', err);
    }
  }
  if (on('undici')) {
    try {
      const own = typeof selection.undici === 'object' ? selection.undici : {};
      out.push(new UndiciInstrumentation({ ...own }));
    } catch (err) {
      diag.error('genai-otel: could not create the undici instrumentation', err);
    }
  }
  return out;
}
