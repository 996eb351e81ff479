import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const changesetBin = join(root, 'node_modules', '.bin', 'changeset');

/** Copies the workspace metadata (no sources) into a scratch directory. */
function copyWorkspaceMetadata(): string {
  const dir = mkdtempSync(join(tmpdir(), 'genai-otel-changesets-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml'])
    cpSync(join(root, file), join(dir, file));
  cpSync(join(root, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'), {
    recursive: true,
  });
  for (const group of ['packages', 'examples', 'tools']) {
    if (!existsSync(join(root, group))) continue;
    for (const name of readdirSync(join(root, group))) {
      const pkg = join(root, group, name, 'package.json');
      if (!existsSync(pkg)) continue;
      mkdirSync(join(dir, group, name), { recursive: true });
      cpSync(pkg, join(dir, group, name, 'package.json'));
    }
  }
  if (existsSync(join(root, 'bench', 'package.json'))) {
    mkdirSync(join(dir, 'bench'));
    cpSync(join(root, 'bench', 'package.json'), join(dir, 'bench', 'package.json'));
  }
  return dir;
}

const version = (dir: string, path: string) =>
  JSON.parse(readFileSync(join(dir, path, 'package.json'), 'utf8')).version;

describe('changesets', () => {
  const dir = copyWorkspaceMetadata();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('`changeset version` bumps the package, its dependents, and writes a changelog; private packages untouched', () => {
    const before = Object.fromEntries(
      ['packages/core', 'packages/instrumentation-anthropic', 'tools/test-utils'].map((p) => [
        p,
        version(dir, p),
      ]),
    );
    writeFileSync(
      join(dir, '.changeset', 'core-feature.md'),
      '---\n"@genai-otel/core": minor\n---\n\nA user-visible core feature.\n',
    );
    const r = spawnSync(changesetBin, ['version'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);

    const [major, minor] = before['packages/core'].split('.').map(Number);
    expect(version(dir, 'packages/core')).toBe(
      major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`,
    );
    // Dependents follow with a patch release (their ^range on core would otherwise break at 0.x).
    expect(version(dir, 'packages/instrumentation-anthropic')).not.toBe(
      before['packages/instrumentation-anthropic'],
    );
    expect(version(dir, 'tools/test-utils')).toBe(before['tools/test-utils']);
    const changelog = readFileSync(join(dir, 'packages', 'core', 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain('A user-visible core feature.');
    expect(existsSync(join(dir, '.changeset', 'core-feature.md'))).toBe(false);
  });
});
