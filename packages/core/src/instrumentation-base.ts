import {
  InstrumentationBase,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import type { GenAIInstrumentationConfig } from './config.js';
import { logSwallowed } from './guard.js';
import { GenAITelemetry } from './telemetry.js';

/**
 * The shared base of our instrumentations: OpenTelemetry's `InstrumentationBase` (so
 * `registerInstrumentations` and `NodeSDK` work) plus the `instrument()` / `uninstrument()` /
 * `manuallyInstrument()` API and a {@link GenAITelemetry} bound to this instrumentation's
 * tracer, meter and live config.
 */
export abstract class GenAIInstrumentationBase<
  C extends GenAIInstrumentationConfig = GenAIInstrumentationConfig,
> extends InstrumentationBase<C> {
  private telemetryInstance: GenAITelemetry | undefined;

  protected constructor(
    name: string,
    version: string,
    config: C,
    private readonly frameworkName: string,
  ) {
    super(name, version, config);
  }

  /** Spans and metrics for this instrumentation (created on first use). */
  get telemetry(): GenAITelemetry {
    // Lazily: InstrumentationBase calls init()/enable() from its constructor, before our fields exist.
    this.telemetryInstance ??= new GenAITelemetry(
      () => this.tracer,
      () => this.meter,
      () => this.getConfig(),
      this.frameworkName,
    );
    return this.telemetryInstance;
  }

  /** Starts patching (idempotent). Uses the global providers unless others were set. */
  instrument(): this {
    this.enable();
    return this;
  }

  /** Removes every patch this instrumentation applied. */
  uninstrument(): this {
    this.disable();
    return this;
  }

  /**
   * Patches a module object the application already loaded (bundlers, or modules loaded
   * before `instrument()`). Never throws.
   */
  manuallyInstrument(moduleExports: unknown): this {
    try {
      this.patchModuleManually(moduleExports);
    } catch (err) {
      logSwallowed(`${this.instrumentationName} manuallyInstrument`, err);
    }
    return this;
  }

  /** Subclasses patch an already-loaded module here. */
  protected abstract patchModuleManually(moduleExports: unknown): void;

  protected abstract override init():
    | InstrumentationModuleDefinition
    | InstrumentationModuleDefinition[]
    | undefined;
}
