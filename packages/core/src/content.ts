import {
  type ContentCaptureMode,
  type GenAIInstrumentationConfig,
  resolveCaptureMode,
  resolveMaxContentLength,
} from './config.js';
import { safely } from './guard.js';
import { boundedJson, safeStringify, truncate } from './serialize.js';

/**
 * The content-capture decision for one call. Built per call from the live config and
 * environment, so toggling `captureContent` (or the env variable) takes effect immediately.
 */
export class ContentPolicy {
  readonly mode: ContentCaptureMode;
  private readonly redactHook: GenAIInstrumentationConfig['redact'];
  private readonly config: GenAIInstrumentationConfig;
  private maxLengthValue: number | undefined;

  constructor(config: GenAIInstrumentationConfig) {
    this.mode = resolveCaptureMode(config);
    this.redactHook = config.redact;
    this.config = config;
  }

  /** Characters per content value (resolved on first use: most calls capture no content). */
  get maxLength(): number {
    this.maxLengthValue ??= resolveMaxContentLength(this.config);
    return this.maxLengthValue;
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
   * when capture is off, when the redact hook drops it (or throws: redaction fails closed),
   * or when anything else goes wrong.
   *
   * Order: the value is serialised with room to spare (strings up to 2x `maxLength`), the
   * redact hook sees that text, and only then is the result cut to `maxLength`: so the hook
   * sees every character that can end up recorded. Structured values stay valid JSON when
   * cut (long strings inside are shortened, each cut marked with `...[truncated]`).
   */
  render(attribute: string, value: unknown): string | undefined {
    if (!this.enabled || value === undefined) return undefined;
    return safely('content render', () => {
      const structured = typeof value !== 'string';
      let text: string | undefined = safeStringify(value, { maxLength: this.maxLength * 2 });
      if (this.redactHook) {
        text = this.redactHook(text, { attribute });
        if (text === undefined || text === null) return undefined;
        text = String(text);
      }
      if (text.length <= this.maxLength) return text;
      if (structured) {
        const parsed = parseJson(text);
        if (parsed.ok) return boundedJson(parsed.value, this.maxLength);
      }
      return truncate(text, this.maxLength);
    });
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false }; // the redact hook returned non-JSON: cut it as text
  }
}
