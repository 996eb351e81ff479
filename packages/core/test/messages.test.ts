import { describe, expect, it } from 'vitest';
import { normalizeFinishReason, outputFinishReason } from '../src/index.js';

describe('finish reasons in the output message schema vocabulary', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['STOP', 'stop'],
    ['max_tokens', 'length'],
    ['MAX_TOKENS', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['context_exceeded', 'length'],
    ['tool_use', 'tool_call'],
    ['tool_calls', 'tool_call'],
    ['function_call', 'tool_call'],
    ['refusal', 'content_filter'],
    ['SAFETY', 'content_filter'],
    ['guardrail_intervened', 'content_filter'],
    ['error', 'error'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeFinishReason(raw)).toBe(expected);
  });

  it('passes an unknown reason through unchanged; no reason is undefined', () => {
    expect(normalizeFinishReason('Brand_New')).toBe('Brand_New');
    expect(normalizeFinishReason('')).toBeUndefined();
    expect(normalizeFinishReason(null)).toBeUndefined();
    expect(normalizeFinishReason(42)).toBeUndefined();
  });

  it('an output message always has one: tool calls, else stop', () => {
    expect(outputFinishReason(undefined, true)).toBe('tool_call');
    expect(outputFinishReason(undefined, false)).toBe('stop');
    expect(outputFinishReason('max_tokens', true)).toBe('length');
  });
});
