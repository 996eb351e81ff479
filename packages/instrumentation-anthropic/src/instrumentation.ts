import { GenAIInstrumentationBase, logSwallowed, safely } from '@genai-otel/core';
import { context } from '@opentelemetry/api';
import {
  type InstrumentationModuleDefinition,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  isWrapped,
} from '@opentelemetry/instrumentation';
import { ensureFetchCounting } from './attempts.js';
import { AnthropicCall, type CallOperation } from './call.js';
import { createNativeCall, isOurNativeCall, tracesItself } from './native.js';
import type { AnthropicInstrumentationConfig } from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

type Obj = Record<string, any>;
type AnyFn = (...args: any[]) => any;

/** SDK versions whose module layout we hook (tested: 0.30, 0.41, 0.58, 0.122, 0.137, 1.12). */
export const SUPPORTED_VERSIONS = ['>=0.30.0 <2'];

type ResourceKind = 'messages' | 'completions';

/** Module files holding the resource classes, relative to the package root. */
const FILES: Array<{ path: string; kind: ResourceKind; exportName: string }> = [
  { path: 'resources/messages/messages', kind: 'messages', exportName: 'Messages' },
  // Older SDKs (0.30) keep `Messages` in this one file; later ones re-export the same class here.
  { path: 'resources/messages', kind: 'messages', exportName: 'Messages' },
  { path: 'resources/beta/messages/messages', kind: 'messages', exportName: 'Messages' },
  { path: 'resources/completions', kind: 'completions', exportName: 'Completions' },
];

/**
 * OpenTelemetry instrumentation for `@anthropic-ai/sdk`: one `chat {model}` CLIENT span per
 * `messages.create` / `messages.stream` / `beta.messages.*` call (and `text_completion {model}`
 * per legacy `completions.create`), with request parameters, response, usage (cache tokens
 * included), finish reasons, time to first chunk, errors and, when opted in, content.
 */
export class AnthropicInstrumentor extends GenAIInstrumentationBase<AnthropicInstrumentationConfig> {
  private manualTargets: Set<{ proto: Obj; kind: ResourceKind }> | undefined;

  constructor(config: AnthropicInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config, 'anthropic');
  }

  protected init(): InstrumentationModuleDefinition[] {
    const files = FILES.flatMap(({ path, kind, exportName }) =>
      ['js', 'mjs'].map(
        (ext) =>
          new InstrumentationNodeModuleFile(
            `@anthropic-ai/sdk/${path}.${ext}`,
            SUPPORTED_VERSIONS,
            (exports: Obj) => {
              this.patchResource(exports?.[exportName]?.prototype, kind);
              return exports;
            },
            (exports: Obj) => {
              this.unpatchResource(exports?.[exportName]?.prototype, kind);
            },
          ),
      ),
    );
    return [
      new InstrumentationNodeModuleDefinition(
        '@anthropic-ai/sdk',
        SUPPORTED_VERSIONS,
        undefined,
        undefined,
        files,
      ),
    ];
  }

  override enable(): void {
    super.enable();
    // Re-apply manual patches after an uninstrument()/instrument() cycle.
    for (const t of this.manualTargets ?? []) this.patchResource(t.proto, t.kind);
  }

  override disable(): void {
    super.disable();
    for (const t of this.manualTargets ?? []) this.unpatchResource(t.proto, t.kind);
  }

  /**
   * Accepts the SDK module (`import * as sdk` / `require('@anthropic-ai/sdk')`), its default
   * export (the `Anthropic` class), or a client instance.
   */
  protected patchModuleManually(moduleExports: unknown): void {
    const targets: Array<{ proto: Obj; kind: ResourceKind }> = [];
    const add = (proto: unknown, kind: ResourceKind) => {
      if (proto && typeof proto === 'object' && typeof (proto as Obj).create === 'function')
        targets.push({ proto: proto as Obj, kind });
    };
    const m = moduleExports as Obj | undefined;
    const classes = [m, m?.default, m?.Anthropic, m?.default?.default].filter(
      (c) => typeof c === 'function',
    );
    for (const C of classes) {
      add(C.Messages?.prototype, 'messages');
      add(C.Beta?.Messages?.prototype, 'messages');
      add(C.Completions?.prototype, 'completions');
    }
    if (m && typeof m === 'object' && !classes.length) {
      // A client instance.
      add(m.messages && Object.getPrototypeOf(m.messages), 'messages');
      add(m.beta?.messages && Object.getPrototypeOf(m.beta.messages), 'messages');
      add(m.completions && Object.getPrototypeOf(m.completions), 'completions');
    }
    this.manualTargets ??= new Set();
    for (const t of targets) {
      if ([...this.manualTargets].some((x) => x.proto === t.proto)) continue;
      // Already patched (by the require/import hook, or another instance): not ours to manage.
      if (isWrapped(t.proto.create)) continue;
      this.manualTargets.add(t);
      this.patchResource(t.proto, t.kind);
    }
  }

  private patchResource(proto: Obj | undefined, kind: ResourceKind): void {
    if (!proto || typeof proto !== 'object') return;
    safely('anthropic patch', () => {
      if (typeof proto.create === 'function' && !isWrapped(proto.create)) {
        this._wrap(proto, 'create', (original: AnyFn) =>
          this.createWrapper(original, kind === 'completions' ? 'text_completion' : 'chat'),
        );
      }
      if (kind === 'messages' && typeof proto.stream === 'function' && !isWrapped(proto.stream)) {
        this._wrap(proto, 'stream', (original: AnyFn) => this.streamWrapper(original));
      }
    });
  }

  private unpatchResource(proto: Obj | undefined, kind: ResourceKind): void {
    if (!proto || typeof proto !== 'object') return;
    safely('anthropic unpatch', () => {
      if (isWrapped(proto.create)) this._unwrap(proto, 'create');
      if (kind === 'messages' && isWrapped(proto.stream)) this._unwrap(proto, 'stream');
    });
  }

  private replaceNativeSpans(): boolean {
    return (this.getConfig() as AnthropicInstrumentationConfig).nativeSpans !== 'keep';
  }

  private createWrapper(original: AnyFn, operation: CallOperation): AnyFn {
    const instrumentation = this;
    return function create(this: Obj, ...args: any[]) {
      const params = args[0];
      const options = args[1] as Obj | undefined;
      const handed = options?.__span;
      // Already traced by us (a helper re-entering create with a bound call): just run.
      if (!params || typeof params !== 'object' || (isOurNativeCall(handed) && handed.span.bound)) {
        return original.apply(this, args);
      }
      const client = safely('anthropic client', () => this?._client as Obj | undefined);
      const call = safely(
        'anthropic start',
        () => new AnthropicCall(instrumentation.telemetry, { operation, params, client }),
      );
      if (!call) return original.apply(this, args);
      let callArgs = args;
      safely('anthropic native tracing', () => {
        if (isOurNativeCall(handed)) {
          // `stream()` handed this call its span slot: bind it to our span.
          handed.span.bind(call.span.span);
        } else if (
          handed === undefined &&
          instrumentation.replaceNativeSpans() &&
          tracesItself(client)
        ) {
          const native = createNativeCall();
          native.span.bind(call.span.span);
          callArgs = [params, { ...options, __span: native }, ...args.slice(2)];
        }
        ensureFetchCounting(client);
      });
      let result: unknown;
      try {
        result = context.with(call.context, () => original.apply(this, callArgs));
      } catch (err) {
        call.fail(err);
        throw err;
      }
      return call.track(result);
    };
  }

  /**
   * `stream()` of SDKs that trace themselves starts the SDK's span before it calls `create()`.
   * We hand it an unbound span slot instead; our `create()` wrapper binds it to its span.
   */
  private streamWrapper(original: AnyFn): AnyFn {
    const instrumentation = this;
    return function stream(this: Obj, ...args: any[]) {
      try {
        const params = args[0];
        const options = args[1] as Obj | undefined;
        if (
          params &&
          typeof params === 'object' &&
          options?.__span === undefined &&
          instrumentation.replaceNativeSpans() &&
          isWrapped(this?.create) &&
          tracesItself(this?._client)
        ) {
          args = [params, { ...options, __span: createNativeCall() }, ...args.slice(2)];
        }
      } catch (err) {
        logSwallowed('anthropic stream', err);
      }
      return original.apply(this, args);
    };
  }
}
