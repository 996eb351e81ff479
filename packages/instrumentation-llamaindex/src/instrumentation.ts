import { GenAIInstrumentationBase } from '@genai-otel/core';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import type { LlamaIndexInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

export class LlamaIndexInstrumentor extends GenAIInstrumentationBase<LlamaIndexInstrumentationConfig> {
  constructor(config: LlamaIndexInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config, 'llamaindex');
  }

  protected init(): InstrumentationModuleDefinition[] {
    return [];
  }

  protected patchModuleManually(_moduleExports: unknown): void {}
}
