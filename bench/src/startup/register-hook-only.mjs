// OpenTelemetry's ESM loader hook alone, limited to @langchain/core's dist files, with no SDK
// and no instrumentation: the fixed cost of routing every import through the hook thread.
// Start-up decomposition only.
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
  data: { include: [/@langchain\/core\/dist\//] },
});
