/**
 * Zero-code set-up: `node --import @genai-otel/node/register app.mjs` (ESM) or
 * `node --require @genai-otel/node/register app.js` (CommonJS). Everything comes from the
 * standard environment variables (see the README); the ESM loader hook is registered for the
 * files our instrumentations patch only, and telemetry is flushed on exit, SIGTERM and SIGINT.
 */
import { setupTelemetry } from './setup.js';

setupTelemetry({ shutdownOnExit: true });
