export { LangChainInstrumentor } from './instrumentation.js';
export type { LangChainInstrumentationConfig } from './types.js';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
