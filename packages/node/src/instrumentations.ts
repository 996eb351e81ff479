/**
 * Which GenAI instrumentations to turn on (the ones whose framework is installed, unless told
 * otherwise), and the ESM loader `include` list derived from the files they patch.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ContentCaptureMode, SemconvVocabulary } from '@genai-otel/core';
import { AnthropicInstrumentor } from '@genai-otel/instrumentation-anthropic';
import { LangChainInstrumentor } from '@genai-otel/instrumentation-langchain';
import { LlamaIndexInstrumentor } from '@genai-otel/instrumentation-llamaindex';
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { InstrumentationSelection } from './types.js';

export type GenAIFramework = keyof InstrumentationSelection;

interface FrameworkEntry {
  /** Any of these packages being resolvable means the framework is installed. */
  packages: string[];
  /**
   * ES modules to import and hand to `manuallyInstrument` for ESM patching without a loader
   * hook (the first one is required; see esm-preload.ts).
   */
  esmEntries: string[];
  /** An application whose package.json names one of these (exactly, or `scope/*`) uses the framework. */
  declaredBy: string[];
  create(config: Record<string, unknown>): Instrumentation;
}

export const FRAMEWORKS: Record<GenAIFramework, FrameworkEntry> = {
  anthropic: {
    packages: ['@anthropic-ai/sdk'],
    esmEntries: ['@anthropic-ai/sdk'],
    declaredBy: ['@anthropic-ai/sdk', '@langchain/anthropic', '@llamaindex/anthropic'],
    create: (config) => new AnthropicInstrumentor(config),
  },
  langchain: {
    packages: ['@langchain/core'],
    // The callback manager carries the spans; the rest let work inside a run nest under it.
    esmEntries: [
      '@langchain/core/callbacks/manager',
      '@langchain/core/runnables',
      '@langchain/core/language_models/chat_models',
      '@langchain/core/language_models/llms',
      '@langchain/core/tools',
      '@langchain/core/retrievers',
      '@langchain/core/singletons',
    ],
    declaredBy: ['@langchain/*', 'langchain'],
    create: (config) => new LangChainInstrumentor(config),
  },
  llamaindex: {
    packages: ['llamaindex', '@llamaindex/core'],
    esmEntries: ['llamaindex'],
    declaredBy: ['llamaindex', '@llamaindex/*'],
    create: (config) => new LlamaIndexInstrumentor(config),
  },
};

/** Whether the application's declared packages include one that uses `framework`. */
export function frameworkDeclared(
  framework: GenAIFramework,
  declared: ReadonlySet<string>,
): boolean {
  for (const pattern of FRAMEWORKS[framework].declaredBy) {
    if (pattern.endsWith('/*')) {
      const scope = pattern.slice(0, -1);
      for (const name of declared) if (name.startsWith(scope)) return true;
    } else if (declared.has(pattern)) return true;
  }
  return false;
}

/** Where an application's dependencies resolve from: the working directory, the entry script's directory, and our own location. */
function resolutionBases(): string[] {
  const bases = [join(process.cwd(), 'noop.js')];
  const entry = process.argv[1];
  if (entry) bases.push(join(dirname(entry), 'noop.js'));
  // Where we are installed: in a flat node_modules the app's packages resolve from here too.
  bases.push(import.meta.url);
  return bases;
}

/** Whether `pkg` can be loaded by the application (no code of it is run). */
export function isPackageInstalled(pkg: string): boolean {
  for (const base of resolutionBases()) {
    const req = createRequire(base);
    for (const probe of [`${pkg}/package.json`, pkg]) {
      try {
        req.resolve(probe);
        return true;
      } catch (err) {
        // A package whose exports map hides package.json (or has no "." entry) is still installed.
        const code = (err as { code?: string }).code;
        if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true;
      }
    }
  }
  return false;
}

export interface CreateInstrumentationsOptions {
  selection?: InstrumentationSelection;
  captureContent?: boolean | ContentCaptureMode;
  semconv?: SemconvVocabulary[];
  /** Create them disabled (the caller enables them after registering the ESM hook). */
  startDisabled?: boolean;
}

export function createGenAIInstrumentations(options: CreateInstrumentationsOptions): {
  instrumentations: Instrumentation[];
  frameworks: GenAIFramework[];
} {
  const instrumentations: Instrumentation[] = [];
  const frameworks: GenAIFramework[] = [];
  for (const [framework, entry] of Object.entries(FRAMEWORKS) as [
    GenAIFramework,
    FrameworkEntry,
  ][]) {
    const choice = options.selection?.[framework];
    if (choice === false) continue;
    const forced = choice === true || (typeof choice === 'object' && choice !== null);
    if (!forced && !entry.packages.some(isPackageInstalled)) continue;
    const own = typeof choice === 'object' && choice !== null ? choice : {};
    const config: Record<string, unknown> = { ...own };
    if (config.captureContent === undefined && options.captureContent !== undefined)
      config.captureContent = options.captureContent;
    if (config.semconv === undefined && options.semconv !== undefined)
      config.semconv = options.semconv;
    if (config.enabled === false) continue;
    if (options.startDisabled) config.enabled = false;
    try {
      instrumentations.push(entry.create(config));
      frameworks.push(framework);
    } catch (err) {
      diag.error(`genai-otel: could not create the ${framework} instrumentation`, err);
    }
  }
  return { instrumentations, frameworks };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The ESM loader's `include` list for these instrumentations: the bare specifier of each
 * package whose main module is patched, and a RegExp per internal file (any of .js/.mjs/.cjs,
 * since packages ship ESM twins of their CommonJS files). Only these modules are wrapped, so
 * start-up stays fast.
 */
export function esmIncludeFor(instrumentations: Instrumentation[]): Array<string | RegExp> {
  const include: Array<string | RegExp> = [];
  const seen = new Set<string>();
  const add = (item: string | RegExp) => {
    const key = String(item);
    if (seen.has(key)) return;
    seen.add(key);
    include.push(item);
  };
  for (const inst of instrumentations) {
    const defs = (inst as { getModuleDefinitions?: () => any[] }).getModuleDefinitions?.() as any[];
    for (const def of defs ?? []) {
      if (typeof def?.name !== 'string') continue;
      if (typeof def.patch === 'function' || !def.files?.length) add(def.name);
      for (const file of def.files ?? []) {
        if (typeof file?.name !== 'string') continue;
        const stem = file.name.replace(/\.(?:c|m)?js$/, '');
        add(new RegExp(`/node_modules/${escapeRegExp(stem)}\\.(?:c|m)?js$`));
      }
    }
  }
  return include;
}
