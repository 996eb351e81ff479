import { describe, expect, it } from 'vitest';
import { contentParts } from '../src/messages.js';

describe('LlamaIndex message content as the schema parts', () => {
  it('images, audio and files: URLs, data URLs and inline data', () => {
    expect(
      contentParts([
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'https://x.test/a.png' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo' } },
        { type: 'image', data: 'R0lGOD', mimeType: 'image/gif' },
        { type: 'audio', data: 'UklGR', mimeType: 'audio/wav' },
        { type: 'file', data: 'JVBERi0', mimeType: 'application/pdf' },
      ]),
    ).toEqual([
      { type: 'text', content: 'look' },
      { type: 'uri', modality: 'image', uri: 'https://x.test/a.png' },
      { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgo' },
      { type: 'blob', modality: 'image', mime_type: 'image/gif', content: 'R0lGOD' },
      { type: 'blob', modality: 'audio', mime_type: 'audio/wav', content: 'UklGR' },
      { type: 'blob', modality: 'document', mime_type: 'application/pdf', content: 'JVBERi0' },
    ]);
  });
});
