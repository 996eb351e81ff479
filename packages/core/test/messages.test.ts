import { describe, expect, it } from 'vitest';
import {
  MAX_INLINE_MEDIA_CHARS,
  mediaPart,
  normalizeFinishReason,
  outputFinishReason,
} from '../src/index.js';

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

describe('media parts', () => {
  it('a file id is a file part, a URL a uri part', () => {
    expect(
      mediaPart({ modality: 'document', fileId: 'file_1', mimeType: 'application/pdf' }),
    ).toEqual({
      type: 'file',
      modality: 'document',
      mime_type: 'application/pdf',
      file_id: 'file_1',
    });
    expect(mediaPart({ modality: 'image', url: 'https://x.test/cat.png' })).toEqual({
      type: 'uri',
      modality: 'image',
      uri: 'https://x.test/cat.png',
    });
  });

  it('inline data (base64, or a data: URL) is a blob part keeping only a prefix', () => {
    const b64 = 'A'.repeat(MAX_INLINE_MEDIA_CHARS + 100);
    const fromData = mediaPart({ modality: 'image', data: b64, mimeType: 'image/png' });
    expect(fromData).toEqual({
      type: 'blob',
      modality: 'image',
      mime_type: 'image/png',
      content: `${'A'.repeat(MAX_INLINE_MEDIA_CHARS)}...[100 more chars]`,
    });
    expect(mediaPart({ modality: 'image', url: 'data:image/jpeg;base64,/9j/4AAQ' })).toEqual({
      type: 'blob',
      modality: 'image',
      mime_type: 'image/jpeg',
      content: '/9j/4AAQ',
    });
  });

  it('binary or missing data records no payload', () => {
    expect(mediaPart({ modality: 'audio', data: new Uint8Array(8) })).toEqual({
      type: 'blob',
      modality: 'audio',
      content: '',
    });
    expect(mediaPart({ modality: 'video' })).toEqual({
      type: 'blob',
      modality: 'video',
      content: '',
    });
  });
});
