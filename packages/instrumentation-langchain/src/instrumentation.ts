import { GenAIInstrumentationBase, logSwallowed } from '@genai-otel/core';
import {
  type InstrumentationModuleDefinition,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import { GenAICallbackHandler } from './handler.js';
import { Patcher } from './patcher.js';
import { type PatchHost, patchExports, targetsOf } from './patches.js';
import type { LangChainInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** `@langchain/core` versions we hook (0.3.x and 1.x). */
export const SUPPORTED_VERSIONS = ['>=0.3.0 <2'];

/** dist files (without extension) holding the classes we patch; each has a `.cjs` and `.js` twin. */
const HOOKED_FILES = [
  'callbacks/manager',
  'runnables/base',
  'language_models/chat_models',
  'language_models/llms',
  'tools/index',
  'retrievers/index',
  'singletons/async_local_storage/index',
];

/**
 * OpenTelemetry instrumentation for LangChain.js. Hooks the CJS and ESM builds of every
 * `@langchain/core` copy the process loads, injects one callback handler into every
 * CallbackManager, and turns runs into GenAI spans nested by LangChain's own run tree.
 *
 * ```ts
 * const lc = new LangChainInstrumentor({ captureContent: false });
 * lc.instrument();
 * ```
 */
export class LangChainInstrumentor
  extends GenAIInstrumentationBase<LangChainInstrumentationConfig>
  implements PatchHost
{
  // `declare`: InstrumentationBase calls init()/enable() from its constructor, so these must
  // not be re-initialised by class-field semantics after super() returns.
  declare private handlerInstance: GenAICallbackHandler | undefined;
  declare private patcherInstance: Patcher | undefined;

  constructor(config: LangChainInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config, 'langchain');
  }

  /** The one callback handler this instrumentation injects (shared by all managers). */
  get handler(): GenAICallbackHandler {
    this.handlerInstance ??= new GenAICallbackHandler(this);
    return this.handlerInstance;
  }

  private get patcher(): Patcher {
    this.patcherInstance ??= new Patcher();
    return this.patcherInstance;
  }

  /** Open (started, not yet ended) runs; exposed for diagnostics and tests. */
  get openRuns(): number {
    return this.handlerInstance?.registry.size ?? 0;
  }

  protected init(): InstrumentationModuleDefinition[] {
    const files = HOOKED_FILES.flatMap((file) =>
      ['cjs', 'js'].map(
        (ext) =>
          new InstrumentationNodeModuleFile(
            `@langchain/core/dist/${file}.${ext}`,
            SUPPORTED_VERSIONS,
            (moduleExports) => {
              this.patchModule(moduleExports);
              return moduleExports;
            },
            (moduleExports) => {
              this.unpatchModule(moduleExports);
            },
          ),
      ),
    );
    return [
      new InstrumentationNodeModuleDefinition(
        '@langchain/core',
        SUPPORTED_VERSIONS,
        undefined,
        undefined,
        files,
      ),
    ];
  }

  override disable(): void {
    super.disable();
    try {
      this.patcherInstance?.restore();
      this.handlerInstance?.registry.clear();
    } catch (err) {
      logSwallowed('langchain disable', err);
    }
  }

  /**
   * Accepts `@langchain/core/callbacks/manager` (required for spans), and optionally any
   * object holding `Runnable`, `BaseChatModel`, `BaseLLM`, `StructuredTool`, `BaseRetriever`
   * (for nesting work done inside runs). Modules from the hooks are patched at most once.
   */
  protected patchModuleManually(moduleExports: unknown): void {
    if (
      !moduleExports ||
      (typeof moduleExports !== 'object' && typeof moduleExports !== 'function')
    )
      return;
    this.patchModule(moduleExports);
  }

  protected override unpatchModuleManually(moduleExports: unknown): void {
    this.unpatchModule(moduleExports);
  }

  private patchModule(moduleExports: unknown): void {
    try {
      patchExports(moduleExports, this.patcher, this);
    } catch (err) {
      logSwallowed('langchain patch', err);
    }
  }

  private unpatchModule(moduleExports: unknown): void {
    try {
      this.patcherInstance?.restore(targetsOf(moduleExports));
    } catch (err) {
      logSwallowed('langchain unpatch', err);
    }
  }
}
