export { DeferredContext } from './deferred-context.js';
export {
  ATTR_CANCELLED,
  ATTR_CONTROL_FLOW,
  ATTR_RUN_ID,
  GenAICallbackHandler,
  HANDLER_NAME,
} from './handler.js';
export { LangChainInstrumentor, SUPPORTED_VERSIONS } from './instrumentation.js';
export { ATTR_RUN_ABANDONED } from './run-registry.js';
export type { LangChainInstrumentationConfig } from './types.js';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
