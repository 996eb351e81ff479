import * as api from '@opentelemetry/api';
import { logs as apiLogs, type Logger, type LoggerProvider } from '@opentelemetry/api-logs';

/**
 * Where a global LoggerProvider is registered, by OpenTelemetry line:
 * - api 1.10+ (SDK 3.x): `logs` is part of `@opentelemetry/api`, kept in the API's global
 *   object (`opentelemetry.js.api.1`) under `logs`;
 * - api 1.9 (SDK 2.x): `@opentelemetry/api-logs` keeps it under its own global key.
 * Both keys are the ones those packages themselves look up, shared by every copy of them.
 */
const API_GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
const API_LOGS_GLOBAL_KEY = Symbol.for('io.opentelemetry.js.api.logs');

interface LogsApiLike {
  getLoggerProvider(): LoggerProvider;
}

/** The logs API holding a registered global provider, or undefined when none is registered. */
function registeredLogsApi(): LogsApiLike | undefined {
  const g = globalThis as Record<symbol, any>;
  const inApi = (api as unknown as { logs?: LogsApiLike }).logs;
  if (inApi && g[API_GLOBAL_KEY]?.logs !== undefined) return inApi;
  if (g[API_LOGS_GLOBAL_KEY] !== undefined) return apiLogs;
  return undefined;
}

/**
 * Whether `provider` is what a global logs API hands out: the registered provider, or the API's
 * proxy when none is registered. `registerInstrumentations` passes exactly that when it is
 * given no provider, so it must not count as a choice of provider (the global one is looked up
 * at use instead). The proxy may come from another copy of the API package than ours (the one
 * `@opentelemetry/instrumentation` depends on), so it is recognised by its delegate setter
 * rather than by identity.
 */
export function isGlobalLoggerProvider(provider: unknown): boolean {
  if (provider === apiLogs.getLoggerProvider()) return true;
  const inApi = (api as unknown as { logs?: LogsApiLike }).logs;
  if (inApi !== undefined && provider === inApi.getLoggerProvider()) return true;
  return typeof (provider as { _setDelegate?: unknown } | null)?._setDelegate === 'function';
}

let cachedProvider: LoggerProvider | undefined;
const cachedLoggers = new Map<string, Logger>();

/**
 * A logger of the globally registered LoggerProvider, or undefined when none is registered.
 *
 * Looked up on every use rather than once: a provider is often registered after the
 * instrumentation was created (`NodeSDK.start()` after `new LangChainInstrumentor()`), and one
 * registered through the other line's API never reaches a proxy logger handed out earlier.
 * "None registered" matters: callers then keep content on a span event instead of emitting log
 * records nobody receives.
 */
export function globalLogger(name: string, version: string): Logger | undefined {
  const logsApi = registeredLogsApi();
  if (!logsApi) return undefined;
  const provider = logsApi.getLoggerProvider();
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    cachedLoggers.clear();
  }
  let logger = cachedLoggers.get(name);
  if (!logger) {
    logger = provider.getLogger(name, version);
    if (cachedLoggers.size >= 64) cachedLoggers.clear();
    cachedLoggers.set(name, logger);
  }
  return logger;
}
