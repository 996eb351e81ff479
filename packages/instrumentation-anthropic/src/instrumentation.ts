import { GenAIInstrumentationBase } from '@genai-otel/core';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import type { AnthropicInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

export class AnthropicInstrumentor extends GenAIInstrumentationBase<AnthropicInstrumentationConfig> {
  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config, 'anthropic');
  }

  protected init(): InstrumentationModuleDefinition[] {
    return [];
  }

  protected patchModuleManually(_moduleExports: unknown): void {}
}
