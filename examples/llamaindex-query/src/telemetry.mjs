// Loaded with `node --import ./src/telemetry.mjs` so LlamaIndex is patched before main.mjs imports it.
import { setupTelemetry } from '@genai-otel/node';

export const telemetry = setupTelemetry({
  serviceName: 'llamaindex-query',
  instrumentations: { llamaindex: true },
});
