/**
 * How ES modules get patched: by importing the frameworks the application uses and patching
 * their classes ("preload", see esm-preload.ts), by OpenTelemetry's loader hook, or both.
 */
import * as nodeModule from 'node:module';
import { logSwallowed } from '@genai-otel/core';
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { env } from './env.js';
import { esmHookRegistered, registerEsmHook } from './esm-hook.js';
import {
  appDeclaredPackages,
  appDirectDependencies,
  entryModuleFormat,
  nestedCopyBases,
  preloadModules,
} from './esm-preload.js';
import {
  esmIncludeFor,
  FRAMEWORKS,
  frameworkDeclared,
  type GenAIFramework,
} from './instrumentations.js';
import type { EsmPatching, EsmPatchingInfo } from './types.js';

const MODES: readonly EsmPatching[] = ['auto', 'preload', 'hook', 'off'];

export function resolveEsmPatching(options: { esm?: EsmPatching; esmHook?: boolean }): EsmPatching {
  if (options.esm && MODES.includes(options.esm)) return options.esm;
  if (options.esmHook === false) return 'off';
  if (options.esmHook === true) return 'hook';
  const fromEnv = env('GENAI_OTEL_ESM')?.trim().toLowerCase() as EsmPatching | undefined;
  if (fromEnv && MODES.includes(fromEnv)) return fromEnv;
  if (fromEnv) diag.warn(`genai-otel: GENAI_OTEL_ESM=${fromEnv} is not one of ${MODES.join(', ')}`);
  return 'auto';
}

export interface GenAIInstrumentationEntry {
  framework: GenAIFramework;
  instrumentation: Instrumentation;
}

export interface EsmPlan {
  mode: EsmPatching;
  /** Frameworks to import and patch. */
  preload: GenAIInstrumentationEntry[];
  /** Instrumentations whose modules go through the loader hook. */
  hook: Instrumentation[];
  /** The packages the application's package.json names (when read): where nested copies are looked for. */
  direct?: ReadonlySet<string>;
}

/**
 * auto: an ES module application started through the `--import` entry (which awaits `ready`)
 * gets the frameworks it uses (named in its package.json, or by the packages named there)
 * preloaded, and no loader hook unless the application passed instrumentations of its own; one
 * set up in code gets the loader hook (see `awaited`); a CommonJS one needs neither (the require
 * hooks patch it); with no entry script (`-e`, the REPL) the loader hook. An installed framework
 * that nothing the application names depends on is not patched in ES modules (`preload` or
 * `hook` does that).
 */
export function planEsmPatching(
  mode: EsmPatching,
  genai: GenAIInstrumentationEntry[],
  http: Instrumentation[],
  additional: Instrumentation[],
  /**
   * Whether the caller waits for `ready` before the application runs (the `--import` entry
   * does). Preloading is asynchronous: patching classes while the application already runs
   * would split its first traces, so `auto` preloads only when awaited, and otherwise uses the
   * loader hook (registered synchronously) for an ES module app.
   */
  awaited = false,
): EsmPlan {
  const all = [...genai.map((g) => g.instrumentation), ...http, ...additional];
  switch (mode) {
    case 'off':
      return { mode, preload: [], hook: [] };
    case 'hook':
      return { mode, preload: [], hook: all };
    case 'preload':
      return { mode, preload: genai, hook: additional };
  }
  try {
    const format = entryModuleFormat();
    if (format === undefined || (format === 'esm' && !awaited))
      return { mode, preload: [], hook: all };
    if (format === 'cjs') return { mode, preload: [], hook: [] };
    const direct = appDirectDependencies();
    const declared = appDeclaredPackages(undefined, direct);
    const preload = genai.filter((g) => frameworkDeclared(g.framework, declared));
    // The HTTP instrumentations only need the hook when it is registered anyway.
    return { mode, preload, hook: additional.length ? [...http, ...additional] : [], direct };
  } catch (err) {
    // Reading the app's manifests failed (permissions, a broken link...): the hook as before,
    // never a failed set-up.
    logSwallowed('esm patching plan', err);
    return { mode, preload: [], hook: all };
  }
}

/** Registers the loader hook of the plan (call before enabling the instrumentations). */
export function registerPlannedHook(plan: EsmPlan): boolean {
  if (!plan.hook.length || esmHookRegistered()) return false;
  return registerEsmHook(esmIncludeFor(plan.hook));
}

/**
 * Runs the preloads (after the instrumentations are enabled). A framework whose required
 * entry could not be imported from the application falls back to the loader hook, when no
 * hook is registered yet. Never rejects.
 */
export async function runPreloads(plan: EsmPlan, info: EsmPatchingInfo): Promise<void> {
  const missed: Instrumentation[] = [];
  let direct = plan.direct;
  if (direct === undefined && plan.preload.length > 0) {
    try {
      direct = appDirectDependencies();
    } catch (err) {
      logSwallowed('esm preload: app packages', err);
    }
  }
  await Promise.all(
    plan.preload.map(async ({ framework, instrumentation }) => {
      try {
        const entries = FRAMEWORKS[framework].esmEntries;
        const patch = (mod: unknown) =>
          (instrumentation as { manuallyInstrument?: (m: unknown) => void }).manuallyInstrument?.(
            mod,
          );
        // Other copies nested under the packages the app names (a few `stat`s per package).
        let nested: string[] = [];
        try {
          if (direct) nested = nestedCopyBases(entries, direct);
        } catch (err) {
          logSwallowed(`esm preload ${framework}: nested copies`, err);
        }
        const loaded = await preloadModules(entries, patch, undefined, nested);
        if (loaded.includes(entries[0] as string)) info.preloaded.push(framework);
        else missed.push(instrumentation);
      } catch (err) {
        logSwallowed(`esm preload ${framework}`, err);
        missed.push(instrumentation);
      }
    }),
  );
  if (missed.length && !esmHookRegistered()) {
    diag.debug('genai-otel: some frameworks could not be preloaded; using the ESM loader hook');
    info.hook = registerEsmHook(esmIncludeFor(missed));
  }
}

/**
 * Without a loader hook, `import { request } from 'node:http'` keeps the unpatched function:
 * load the built-ins through `require` (so the HTTP instrumentation patches them) and copy
 * the patched functions into their ES module exports.
 */
export function syncPatchedBuiltins(http: Instrumentation[]): void {
  if (!http.some((i) => i.instrumentationName.includes('instrumentation-http'))) return;
  try {
    const require = nodeModule.createRequire(import.meta.url);
    require('node:http');
    require('node:https');
    nodeModule.syncBuiltinESMExports?.();
  } catch (err) {
    logSwallowed('sync built-in ES module exports', err);
  }
}
