export {
  type AttributeCondition,
  type BuiltDestination,
  buildDestinationStage,
  DESTINATION_ENV_FIELDS,
  DESTINATION_ENV_PREFIX,
  DESTINATIONS_ENV,
  type DestinationConfig,
  type DestinationSelection,
  type DestinationSelectionStats,
  type DestinationStage,
  type DestinationStageOptions,
  destinationsFromEnv,
  parseSelect,
  parseWhere,
} from './destinations.js';
export { registerEsmHook } from './esm-hook.js';
export { BoundedExportSpanProcessor, type ExportProcessorOptions } from './export-processor.js';
export {
  createMetricReader,
  createOtlpMetricExporter,
  createOtlpTraceExporter,
  createTraceDestination,
  type TraceDestination,
} from './exporters.js';
export {
  createHttpInstrumentations,
  HTTP_INSTRUMENTATION_NAMES,
  type HttpInstrumentationSelection,
  type HttpInstrumentationSetting,
} from './http-instrumentations.js';
export { esmIncludeFor, FRAMEWORKS, isPackageInstalled } from './instrumentations.js';
export { ATTR_DEPLOYMENT_ENVIRONMENT, ATTR_DEPLOYMENT_ENVIRONMENT_NAME } from './resource.js';
export { ADAPTIVE_SAMPLER_NAME } from './sampling.js';
export {
  buildTraceExportStage,
  FanOutSpanProcessor,
  setupTelemetry,
  type TraceExportStage,
} from './setup.js';
export { formatDuration, TreeSpanExporter } from './tree-exporter.js';
export type * from './types.js';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
