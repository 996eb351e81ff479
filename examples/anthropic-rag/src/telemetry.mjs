// Loaded with `node --import ./src/telemetry.mjs`, before the application and its imports,
// so the Anthropic SDK is patched when main.mjs imports it.
import { setupTelemetry } from '@genai-otel/node';

export const telemetry = setupTelemetry({
  serviceName: 'anthropic-rag',
  serviceVersion: '1.0.0',
  environment: process.env.DEPLOY_ENV ?? 'local',
  // Baggage set per request (see rag.mjs) is copied onto every span of the request.
  baggageKeys: ['user_id', 'request_id'],
  // The console tree shows them on each trace's first line.
  console: { rootAttributes: ['user_id', 'request_id'] },
  // Exporters come from the environment: the console tree unless OTEL_TRACES_EXPORTER or
  // OTEL_EXPORTER_OTLP_ENDPOINT say otherwise.
});
