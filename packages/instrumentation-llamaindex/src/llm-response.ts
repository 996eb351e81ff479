import { type GenAISpan, outputFinishReason } from '@genai-otel/core';
import {
  hasToolCalls,
  rawFinishReason,
  read,
  responseIdOf,
  responseModelOf,
  usageOf,
} from './llm-details.js';
import { toOutputMessage } from './messages.js';

/** A non-streamed `ChatResponse` / `CompletionResponse`. */
export function recordLLMResponse(span: GenAISpan, value: unknown, operation: string): void {
  const raw = read(value, 'raw');
  const message =
    operation === 'chat'
      ? read(value, 'message')
      : { role: 'assistant', content: read(value, 'text') ?? '' };
  const reason = rawFinishReason(raw);
  const tools = hasToolCalls(message);
  span.setResponse({
    id: responseIdOf(raw),
    model: responseModelOf(raw),
    finishReasons: [reason ?? outputFinishReason(undefined, tools)],
  });
  const usage = usageOf(raw) ?? usageOf(value);
  if (usage) span.setUsage(usage);
  if (span.policy.enabled)
    span.setOutputMessages([toOutputMessage(message, outputFinishReason(reason, tools))]);
}

/** Collects what a streamed LLM response tells us, chunk by chunk (bounded text). */
export class StreamAccumulator {
  private text = '';
  private readonly toolCalls = new Map<string, unknown>();
  private reason: string | undefined;
  private id: string | undefined;
  private model: string | undefined;
  private usage: ReturnType<typeof usageOf>;
  private static readonly MAX_TEXT = 1_000_000;

  constructor(private readonly operation: string) {}

  add(chunk: unknown): void {
    const delta = read(chunk, this.operation === 'chat' ? 'delta' : 'text') ?? read(chunk, 'delta');
    if (typeof delta === 'string' && this.text.length < StreamAccumulator.MAX_TEXT)
      this.text += delta;
    const calls = read(read(chunk, 'options'), 'toolCall');
    if (Array.isArray(calls)) {
      for (const c of calls.slice(0, 64)) {
        const id = read(c, 'id');
        if (this.toolCalls.size < 64 || this.toolCalls.has(String(id)))
          this.toolCalls.set(String(id ?? this.toolCalls.size), c);
      }
    }
    const raw = read(chunk, 'raw');
    if (raw) {
      this.reason = rawFinishReason(raw) ?? this.reason;
      this.id ??= responseIdOf(raw);
      this.model ??= responseModelOf(raw);
      const u = usageOf(raw);
      if (u) {
        const clean = Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined));
        this.usage = { ...this.usage, ...clean };
      }
    }
  }

  finish(span: GenAISpan): void {
    const tools = this.toolCalls.size > 0;
    span.setResponse({
      id: this.id,
      model: this.model,
      finishReasons: [this.reason ?? outputFinishReason(undefined, tools)],
    });
    if (this.usage) span.setUsage(this.usage);
    if (span.policy.enabled) {
      const message = {
        role: 'assistant',
        content: this.text,
        options: tools ? { toolCall: [...this.toolCalls.values()] } : undefined,
      };
      span.setOutputMessages([toOutputMessage(message, outputFinishReason(this.reason, tools))]);
    }
  }
}
