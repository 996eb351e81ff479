/**
 * The `--import` entry (ES module build of `@genai-otel/node/register`): same set-up as the
 * CommonJS entry, and it waits until the frameworks the application uses are imported and
 * patched (`esm: 'auto'`), so the application's first import already gets patched classes.
 */
import { setupTelemetryAwaited } from './setup.js';

await setupTelemetryAwaited({ shutdownOnExit: true }).ready;
