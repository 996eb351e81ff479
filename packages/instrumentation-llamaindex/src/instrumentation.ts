import { GenAIInstrumentationBase } from '@genai-otel/core';
import {
  type InstrumentationModuleDefinition,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import { LlamaIndexHooks } from './hooks.js';
import type { LlamaIndexInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** `llamaindex` versions this instrumentation is tested with (0.10.x to 0.12.x). */
export const SUPPORTED_VERSIONS = ['>=0.10.0 <0.13.0'];

/**
 * Entry files of the `llamaindex` umbrella package (CJS and ESM twins). `@llamaindex/core`
 * itself cannot be hooked by the CJS require hook (it has no `"."` export), but every entry
 * below re-exports its classes, and the classes are patched on their prototypes.
 */
export const ENTRY_FILES = [
  'dist/cjs/index.cjs',
  'dist/index.js',
  'dist/index.edge.js',
  'dist/index.workerd.js',
  'dist/index.react-server.js',
  ...['agent', 'engines', 'indices', 'tools', 'evaluation'].flatMap((sub) => [
    `${sub}/dist/index.cjs`,
    `${sub}/dist/index.js`,
  ]),
];

/**
 * `include` patterns for the ESM loader hook that match exactly the files this
 * instrumentation patches: `register('@opentelemetry/instrumentation/hook.mjs',
 * import.meta.url, { data: { include: LLAMAINDEX_ESM_INCLUDE } })`. Hooking only these files
 * keeps start-up fast and avoids wrapping unrelated packages.
 */
export const LLAMAINDEX_ESM_INCLUDE: RegExp[] = [
  /\/node_modules\/llamaindex\/(dist|agent|engines|indices|tools|evaluation)\/(.*\/)?index(\.[a-z-]+)?\.js$/,
];

/**
 * OpenTelemetry instrumentation for LlamaIndex.TS: query engines, retrievers, embeddings,
 * response synthesizers, chat engines, agents, tools and LLM calls.
 *
 * ```ts
 * const li = new LlamaIndexInstrumentor({ captureContent: false });
 * li.instrument();                       // hooks `llamaindex` when it is loaded (CJS and ESM)
 * li.manuallyInstrument(llamaindex);     // or patch an already loaded module / bundle
 * ```
 */
export class LlamaIndexInstrumentor extends GenAIInstrumentationBase<LlamaIndexInstrumentationConfig> {
  // Not a class field: InstrumentationBase calls init()/enable() from its constructor,
  // before subclass fields would be initialised (and a field would then be reset).
  declare private hooksInstance: LlamaIndexHooks | undefined;

  constructor(config: LlamaIndexInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config, 'llamaindex');
  }

  private get hooks(): LlamaIndexHooks {
    this.hooksInstance ??= new LlamaIndexHooks(
      () => this.telemetry,
      () => this.getConfig(),
    );
    return this.hooksInstance;
  }

  protected init(): InstrumentationModuleDefinition[] {
    const patch = <T>(moduleExports: T): T => {
      this.hooks.active = true;
      this.hooks.patchExports(moduleExports);
      return moduleExports;
    };
    // Removing patches is global (prototypes are shared by every entry file): disable() does it.
    const unpatch = (): void => {};
    const files = ENTRY_FILES.map(
      (file) =>
        new InstrumentationNodeModuleFile(`llamaindex/${file}`, SUPPORTED_VERSIONS, patch, unpatch),
    );
    return [
      new InstrumentationNodeModuleDefinition(
        'llamaindex',
        SUPPORTED_VERSIONS,
        patch,
        unpatch,
        files,
      ),
    ];
  }

  override enable(): void {
    const wasEnabled = this.isEnabled();
    super.enable();
    if (this.hooksInstance) {
      this.hooksInstance.active = true;
      if (!wasEnabled) this.hooksInstance.reapply();
    }
  }

  override disable(): void {
    super.disable();
    if (this.hooksInstance) {
      this.hooksInstance.active = false;
      this.hooksInstance.restore();
    }
  }

  /**
   * Accepts the `llamaindex` module object (`import * as llamaindex from 'llamaindex'`, or a
   * bundle's re-export), any LlamaIndex class (e.g. a custom LLM or embedding class), or an
   * engine, agent, LLM or retriever instance created before `instrument()`.
   */
  protected patchModuleManually(target: unknown): void {
    const hooks = this.hooks;
    hooks.active = true;
    if (typeof target === 'function') {
      hooks.patchExports({ [(target as { name?: string }).name || 'Manual']: target });
      hooks.patchClassByShape(target);
      return;
    }
    if (!target || typeof target !== 'object') return;
    hooks.patchExports(target);
    hooks.patchInstance(target);
  }
}
