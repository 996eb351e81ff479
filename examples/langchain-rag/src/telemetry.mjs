// Loaded with `node --import ./src/telemetry.mjs` so LangChain is patched before main.mjs imports it.
import { setupTelemetry } from '@genai-otel/node';

export const telemetry = setupTelemetry({
  serviceName: 'langchain-rag',
  // Only LangChain is used here (the others would be enabled too if their frameworks were installed).
  instrumentations: { langchain: true },
});
