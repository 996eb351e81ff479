import {
  type ContentCaptureMode,
  type GenAIInstrumentationConfig,
  resolveCaptureMode,
  resolveMaxContentLength,
} from './config.js';
import { safely } from './guard.js';
import { safeStringify } from './serialize.js';

/**
 * The content-capture decision for one call. Built per call from the live config and
 * environment, so toggling `captureContent` (or the env variable) takes effect immediately.
 */
export class ContentPolicy {
  readonly mode: ContentCaptureMode;
  readonly maxLength: number;
  private readonly redactHook: GenAIInstrumentationConfig['redact'];

  constructor(config: GenAIInstrumentationConfig) {
    this.mode = resolveCaptureMode(config);
    this.maxLength = resolveMaxContentLength(config);
    this.redactHook = config.redact;
  }

  /** Content goes onto span attributes. */
  get onSpan(): boolean {
    return this.mode === 'SPAN_ONLY' || this.mode === 'SPAN_AND_EVENT';
  }

  /** Content goes onto the `gen_ai.client.inference.operation.details` event. */
  get onEvent(): boolean {
    return this.mode === 'EVENT_ONLY' || this.mode === 'SPAN_AND_EVENT';
  }

  /** Any content capture at all. */
  get enabled(): boolean {
    return this.mode !== 'NO_CONTENT';
  }

  /**
   * Serialises, redacts and truncates a piece of content for `attribute`. Returns undefined
   * when capture is off, when the redact hook drops it, or when anything goes wrong.
   */
  render(attribute: string, value: unknown): string | undefined {
    if (!this.enabled || value === undefined) return undefined;
    return safely('content render', () => {
      let text: string | undefined = safeStringify(value, { maxLength: this.maxLength * 2 });
      if (this.redactHook) {
        text = this.redactHook(text, { attribute });
        if (text === undefined || text === null) return undefined;
        text = String(text);
      }
      return safeStringify(text, { maxLength: this.maxLength });
    });
  }
}
