import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import * as semconv from '../src/semconv.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const attributeTable = readme.slice(readme.indexOf('## Attributes'), readme.indexOf('### Events'));

describe('README stays in sync with the code', () => {
  it('has the sections users look for', () => {
    for (const section of [
      '## Installation',
      '## Supported versions',
      '## Usage',
      '## Options',
      '## Content policy',
      '## Attributes',
      '## Metrics',
      '## Usage de-duplication',
      '## Context attributes and baggage',
      '## Adaptive sampling',
    ])
      expect(readme).toContain(section);
    expect(readme).toContain('](./SAMPLING.md)');
  });

  it('lists every attribute constant in the attribute table', () => {
    // The adaptive sampler's own attributes are documented in SAMPLING.md.
    const attrs = Object.entries(semconv)
      .filter(([name, v]) => name.startsWith('ATTR_') && typeof v === 'string')
      .map(([, v]) => (v as string).replace(/\.$/, '.<key>'));
    expect(attrs.length).toBeGreaterThan(50);
    const missing = attrs.filter(
      (a) =>
        a !== 'gen_ai.token.type' &&
        !attributeTable.includes(`\`${a}\``) &&
        !attributeTable.includes(a),
    );
    expect(missing).toEqual([]);
    expect(readme).toContain('`gen_ai.token.type`');
  });

  it('lists every OpenInference attribute of the mapping table', () => {
    const missing = core.OPENINFERENCE_MAPPING.flatMap((m) =>
      m.openInference.split(', ').map((name) => name.split(/\.N\b|\{/)[0]!),
    ).filter((prefix) => !attributeTable.includes(prefix));
    expect(missing).toEqual([]);
  });

  it('documents the metrics, the switches and the event', () => {
    for (const name of [
      core.METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
      core.METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
      core.METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
      core.ENV_CAPTURE_CONTENT,
      core.ENV_SEMCONV,
      core.ENV_MAX_CONTENT_LENGTH,
      core.EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
      core.TRUNCATION_MARKER,
      'captureContent',
      'redact',
      'maxContentLength',
      'semconv',
      'NO_CONTENT',
      'SPAN_ONLY',
      'EVENT_ONLY',
      'SPAN_AND_EVENT',
    ])
      expect(readme, name).toContain(name);
    expect(readme).toContain(String(core.DEFAULT_MAX_CONTENT_LENGTH));
    expect(readme).toContain(String(core.TOKEN_USAGE_BUCKETS.at(-1)));
    expect(readme).toContain(String(core.DURATION_BUCKETS.at(-1)));
  });
});
