import type { LoggerProvider } from '@opentelemetry/api-logs';
import {
  InstrumentationBase,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import type { GenAIInstrumentationConfig } from './config.js';
import { logSwallowed } from './guard.js';
import { globalLogger, isGlobalLoggerProvider } from './logs.js';
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
  // `declare`: no field initialiser may reset what init() created during super().
  declare private telemetryInstance: GenAITelemetry | undefined;
  // Not initialised here: InstrumentationBase runs init()/enable() before subclass fields exist.
  declare private manualModules: Set<unknown> | undefined;
  /** Set by `setLoggerProvider` (the config's, or one `registerInstrumentations` passes). */
  declare private explicitLoggerProvider: LoggerProvider | undefined;

  protected constructor(
    name: string,
    version: string,
    config: C,
    private readonly frameworkName: string,
  ) {
    super(name, version, config);
    // Providers given in the config win over the global ones, as `setTracerProvider` would.
    if (config.tracerProvider) this.setTracerProvider(config.tracerProvider);
    if (config.meterProvider) this.setMeterProvider(config.meterProvider);
    if (config.loggerProvider) this.setLoggerProvider(config.loggerProvider);
  }

  override setLoggerProvider(loggerProvider: LoggerProvider): void {
    super.setLoggerProvider(loggerProvider);
    this.explicitLoggerProvider = isGlobalLoggerProvider(loggerProvider)
      ? undefined
      : loggerProvider;
  }

  /** Spans and metrics for this instrumentation (created on first use). */
  get telemetry(): GenAITelemetry {
    // Lazily: InstrumentationBase calls init()/enable() from its constructor, before our fields
    // (frameworkName included) exist; an instance made that early is replaced once they do.
    const current = this.telemetryInstance;
    if (!current || (current.framework === undefined && this.frameworkName !== undefined)) {
      this.telemetryInstance = new GenAITelemetry(
        () => this.tracer,
        () => this.meter,
        () => this.getConfig(),
        this.frameworkName,
        () =>
          this.explicitLoggerProvider
            ? this.logger
            : globalLogger(this.instrumentationName, this.instrumentationVersion),
      );
    }
    return this.telemetryInstance as GenAITelemetry;
  }

  /** Starts patching (idempotent). Uses the global providers unless others were set. */
  instrument(): this {
    try {
      this.enable();
    } catch (err) {
      logSwallowed(`${this.instrumentationName} instrument`, err);
    }
    return this;
  }

  /**
   * Removes every patch this instrumentation applied: modules patched through the require /
   * import hooks, and modules given to {@link manuallyInstrument} (via
   * {@link unpatchModuleManually}). Idempotent; never throws.
   */
  uninstrument(): this {
    try {
      this.disable();
    } catch (err) {
      logSwallowed(`${this.instrumentationName} uninstrument`, err);
    }
    const manual = this.manualModules;
    if (manual) {
      for (const mod of manual) {
        try {
          this.unpatchModuleManually(mod);
        } catch (err) {
          logSwallowed(`${this.instrumentationName} unpatch`, err);
        }
      }
      manual.clear();
    }
    return this;
  }

  /**
   * Patches a module object the application already loaded (bundlers, or modules loaded
   * before `instrument()`). Remembered so that {@link uninstrument} can undo it. Never throws.
   */
  manuallyInstrument(moduleExports: unknown): this {
    try {
      this.patchModuleManually(moduleExports);
      if (moduleExports !== null && typeof moduleExports === 'object') {
        this.manualModules ??= new Set();
        this.manualModules.add(moduleExports);
      }
    } catch (err) {
      logSwallowed(`${this.instrumentationName} manuallyInstrument`, err);
    }
    return this;
  }

  /** Subclasses patch an already-loaded module here (must be idempotent). */
  protected abstract patchModuleManually(moduleExports: unknown): void;

  /** Subclasses undo {@link patchModuleManually} here (called by `uninstrument()`). */
  protected unpatchModuleManually(_moduleExports: unknown): void {}

  protected abstract override init():
    | InstrumentationModuleDefinition
    | InstrumentationModuleDefinition[]
    | undefined;
}
