export { LlamaIndexInstrumentor } from './instrumentation.js';
export type { LlamaIndexInstrumentationConfig } from './types.js';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
