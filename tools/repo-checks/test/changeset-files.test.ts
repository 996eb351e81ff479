import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = join(root, '.changeset');
const publishable = new Set(
  readdirSync(join(root, 'packages')).map(
    (name) => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')).name,
  ),
);

// A formatter once rewrote changeset front matter into a Markdown heading, which changesets
// then silently ignores: every pending changeset must keep its front matter.
describe('pending changesets', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
  it.each(files)('%s has valid front matter naming published packages', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const match = /^---\n((?:"[^"]+": (?:major|minor|patch)\n)+)---\n\n\S/.exec(text);
    expect(match, `${file} front matter`).not.toBeNull();
    for (const line of match![1].trim().split('\n')) {
      const name = /^"([^"]+)"/.exec(line)![1];
      expect(publishable.has(name), `${name} is a published package`).toBe(true);
    }
  });
});
