// Rows for the LlamaIndex and Anthropic families: ours against no instrumentation.
export const llamaindexRows = {
  uninstrumented: {
    title: 'uninstrumented',
    async setup() {
      return {};
    },
  },
  ours: {
    title: 'ours (@genai-otel/instrumentation-llamaindex)',
    packageName: '@genai-otel/instrumentation-llamaindex',
    async setup() {
      const mod = await import('@genai-otel/instrumentation-llamaindex');
      const Ctor = mod.LlamaIndexInstrumentation ?? mod.LlamaIndexInstrumentor;
      const instrumentation = new Ctor({});
      instrumentation.manuallyInstrument(await import('llamaindex'));
      return { instrumentation };
    },
  },
};

export const anthropicRows = {
  uninstrumented: {
    title: 'uninstrumented (SDK tracing off)',
    async setup() {
      return { clientOptions: { openTelemetry: false } };
    },
  },
  'sdk-builtin': {
    title: "SDK's built-in OpenTelemetry tracing",
    async setup() {
      return {};
    },
  },
  ours: {
    title: 'ours (@genai-otel/instrumentation-anthropic)',
    packageName: '@genai-otel/instrumentation-anthropic',
    async setup() {
      const mod = await import('@genai-otel/instrumentation-anthropic');
      const Ctor = mod.AnthropicInstrumentation ?? mod.AnthropicInstrumentor;
      const instrumentation = new Ctor({});
      instrumentation.manuallyInstrument(await import('@anthropic-ai/sdk'));
      return { instrumentation };
    },
  },
};
