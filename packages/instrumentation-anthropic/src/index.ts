export * from './attributes.js';
export { AnthropicInstrumentor, SUPPORTED_VERSIONS } from './instrumentation.js';
export type { AnthropicInstrumentationConfig } from './types.js';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
