// Our zero-code set-up without the ESM loader hook: the SDK, exporters and instrumentations
// are loaded and configured, but ESM imports are not intercepted (so nothing ESM is patched).
// Start-up decomposition only.
import { setupTelemetry } from '@genai-otel/node';

setupTelemetry({ esmHook: false, shutdownOnExit: true });
