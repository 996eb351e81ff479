// Shared assertions of the pack smoke test (plain CJS so both app.cjs and app.mjs use it).
const assert = require('node:assert/strict');

const EXPECTED_EXPORTS = {
  '@genai-otel/core': ['GenAITelemetry', 'safeStringify', 'withGenAIContext'],
  '@genai-otel/instrumentation-anthropic': ['AnthropicInstrumentor'],
  '@genai-otel/instrumentation-langchain': ['LangChainInstrumentor'],
  '@genai-otel/instrumentation-llamaindex': ['LlamaIndexInstrumentor'],
  '@genai-otel/node': ['setupTelemetry'],
};

exports.checkExports = (name, mod) => {
  for (const key of EXPECTED_EXPORTS[name] ?? []) {
    assert.ok(mod[key], `${name} exports ${key}`);
  }
};

exports.expectedPackages = () => (process.env.SMOKE_PACKAGES || '').split(',').filter(Boolean);

exports.checkSpans = (spans) => {
  const byScope = (scope) =>
    spans.filter((s) => (s.instrumentationScope ?? s.instrumentationLibrary).name === scope);
  const anthropic = byScope('@genai-otel/instrumentation-anthropic');
  assert.equal(anthropic.length, 1, 'one Anthropic chat span');
  assert.equal(anthropic[0].name, 'chat claude-smoke');
  assert.equal(anthropic[0].attributes['gen_ai.usage.output_tokens'], 2);
  const langchain = byScope('@genai-otel/instrumentation-langchain');
  assert.ok(
    langchain.some((s) => s.attributes['gen_ai.operation.name'] === 'chat'),
    'a LangChain chat span',
  );
  return `${spans.length} spans: ${spans.map((s) => s.name).join(', ')}`;
};
