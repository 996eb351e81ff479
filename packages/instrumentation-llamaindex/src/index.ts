export * from './attributes.js';
export {
  ENTRY_FILES,
  LLAMAINDEX_ESM_INCLUDE,
  LlamaIndexInstrumentor,
  SUPPORTED_VERSIONS,
} from './instrumentation.js';
export type { LlamaIndexInstrumentationConfig } from './types.js';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
