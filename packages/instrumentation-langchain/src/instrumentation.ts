import { GenAIInstrumentationBase } from '@genai-otel/core';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import type { LangChainInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

export class LangChainInstrumentor extends GenAIInstrumentationBase<LangChainInstrumentationConfig> {
  constructor(config: LangChainInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config, 'langchain');
  }

  protected init(): InstrumentationModuleDefinition[] {
    return [];
  }

  protected patchModuleManually(_moduleExports: unknown): void {}
}
