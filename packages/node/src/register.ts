/**
 * Zero-code set-up: `node --import @genai-otel/node/register app.mjs` (ESM) or
 * `node --require @genai-otel/node/register app.js` (CommonJS). Everything comes from the
 * standard environment variables (see the README), and telemetry is flushed on exit, SIGTERM
 * and SIGINT. This file is the CommonJS build of the entry (`--require`); the ES module build
 * (`--import`) is register-esm.ts, which also waits for the ES module patching to finish.
 */
import { setupTelemetry } from './setup.js';

setupTelemetry({ shutdownOnExit: true });
