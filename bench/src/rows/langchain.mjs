// The LangChain rows. Each `setup` runs in a fresh child process before the workload module
// is imported, with the shared OpenTelemetry set-up already registered globally.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

async function callbackManagerModule() {
  return import('@langchain/core/callbacks/manager');
}

/** A handler that implements every callback LangChain dispatches and does nothing. */
async function noopHandler() {
  const { BaseCallbackHandler } = await import('@langchain/core/callbacks/base');
  class NoopHandler extends BaseCallbackHandler {
    name = 'bench_noop_handler';
    handleLLMStart() {}
    handleChatModelStart() {}
    handleLLMNewToken() {}
    handleLLMEnd() {}
    handleLLMError() {}
    handleChainStart() {}
    handleChainEnd() {}
    handleChainError() {}
    handleToolStart() {}
    handleToolEnd() {}
    handleToolError() {}
    handleRetrieverStart() {}
    handleRetrieverEnd() {}
    handleRetrieverError() {}
    handleText() {}
    handleAgentAction() {}
    handleAgentEnd() {}
  }
  return new NoopHandler();
}

/**
 * Ours, applied to the same ESM modules the workloads load: exactly the modules the register
 * entry preloads and patches in an application (`FRAMEWORKS.langchain.esmEntries`: the
 * callback manager for spans, plus the classes it wraps to run nested work in the run's span
 * context). Read lazily: the row must not load anything before its set-up runs.
 */
async function ourModules() {
  const { FRAMEWORKS } = await import('@genai-otel/node');
  return FRAMEWORKS.langchain.esmEntries;
}

async function setupOurs(config) {
  const mod = await import('@genai-otel/instrumentation-langchain');
  const Ctor = mod.LangChainInstrumentation ?? mod.LangChainInstrumentor;
  const instrumentation = new Ctor(config);
  for (const specifier of await ourModules())
    instrumentation.manuallyInstrument(await import(specifier));
  return { instrumentation };
}

export const langchainRows = {
  uninstrumented: {
    title: 'uninstrumented',
    async setup() {
      return {};
    },
  },
  'noop-callback': {
    title: 'no-op callback handler (floor)',
    // Injected the way callback-based instrumentations inject theirs: by wrapping the static
    // CallbackManager._configureSync that every runnable calls, so the cost measured is
    // LangChain's own run bookkeeping and dispatch for one extra inheritable handler.
    async setup() {
      const { CallbackManager } = await callbackManagerModule();
      const handler = await noopHandler();
      const original = CallbackManager._configureSync;
      CallbackManager._configureSync = function configureWithNoop(inheritable, ...rest) {
        if (inheritable === undefined || inheritable === null) {
          return original.call(this, [handler], ...rest);
        }
        if (Array.isArray(inheritable)) {
          return original.call(
            this,
            inheritable.includes(handler) ? inheritable : [...inheritable, handler],
            ...rest,
          );
        }
        const manager = original.call(this, inheritable, ...rest);
        if (manager && !manager.handlers.includes(handler)) manager.addHandler(handler, true);
        return manager;
      };
      return {};
    },
  },
  'noop-callback-context': {
    title: 'no-op callback handler, async context tracking on (decomposition)',
    // The floor in an application where something has already activated an OpenTelemetry
    // context (an HTTP server or client instrumentation does, on its first request). On Node 20
    // the AsyncLocalStorage context manager then tracks every promise through async hooks, a
    // process-wide cost; the plain floor never pays it in these offline workloads, while ours
    // (which runs each model, tool and retriever call in its run's context) always does. On
    // Node 24 AsyncLocalStorage no longer uses async hooks and this row matches the floor.
    async setup(otel) {
      await langchainRows['noop-callback'].setup(otel);
      const { ROOT_CONTEXT, context } = await import('@opentelemetry/api');
      context.with(ROOT_CONTEXT, () => {});
      return {};
    },
  },
  ours: {
    title: 'ours (@genai-otel/instrumentation-langchain)',
    packageName: '@genai-otel/instrumentation-langchain',
    setup: () => setupOurs({}),
  },
  'ours-content': {
    title: 'ours, content capture on',
    packageName: '@genai-otel/instrumentation-langchain',
    setup: () => setupOurs({ captureContent: 'SPAN_ONLY' }),
  },
  'ours-unrecorded': {
    title: 'ours, spans not recorded (decomposition: without the SDK span pipeline)',
    packageName: '@genai-otel/instrumentation-langchain',
    // The same instrumentation with a tracer provider whose spans do not record: what our
    // handler, context propagation and method wrappers cost on their own, without the SDK's
    // span objects, attribute storage, batching and the GC of buffered spans.
    async setup() {
      const state = await setupOurs({});
      const { ProxyTracerProvider } = await import('@opentelemetry/api');
      state.instrumentation.setTracerProvider(new ProxyTracerProvider());
      return state;
    },
  },
  openinference: {
    title: 'OpenInference (@arizeai/openinference-instrumentation-langchain)',
    packageName: '@arizeai/openinference-instrumentation-langchain',
    async setup() {
      const { LangChainInstrumentation } = await import(
        '@arizeai/openinference-instrumentation-langchain'
      );
      const instrumentation = new LangChainInstrumentation();
      instrumentation.manuallyInstrument(await callbackManagerModule());
      return { instrumentation };
    },
  },
  traceloop: {
    title: 'OpenLLMetry (@traceloop/instrumentation-langchain)',
    packageName: '@traceloop/instrumentation-langchain',
    async setup() {
      const { LangChainInstrumentation } = await import('@traceloop/instrumentation-langchain');
      const instrumentation = new LangChainInstrumentation();
      // Its constructor also patches on its own (CJS now, ESM after an async import); the
      // explicit call makes the ESM patch synchronous. It guards against patching twice.
      instrumentation.manuallyInstrument({ callbackManagerModule: await callbackManagerModule() });
      return { instrumentation };
    },
  },
};

export function resolveVersion(pkg) {
  try {
    return require(`${pkg}/package.json`).version;
  } catch {
    return undefined;
  }
}
