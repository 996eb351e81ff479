/**
 * ES module patching without a loader hook ("preload") and the mode switch, in real child
 * processes (the BUILT package), plus the resolver it relies on.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { appDeclaredPackages, entryModuleFormat, resolveAppEsm } from '../src/esm-preload.js';
import { frameworkDeclared } from '../src/instrumentations.js';
import { assertBuilt, distDir, packageDir, runNode, treeLines } from './helpers.js';

const fixtures = join(packageDir, 'test', 'fixtures');

function esmInfo(stdout: string): { mode: string; preloaded: string[]; hook: boolean } {
  const line = stdout.split('\n').find((l) => l.startsWith('ESM_INFO '));
  if (!line) throw new Error(`no ESM_INFO line in: ${stdout}`);
  return JSON.parse(line.slice('ESM_INFO '.length));
}

const WITH_CHAT = [
  'handle_request (T)',
  '└─ chat claude-test (T) in 10 / out 5 tokens',
  '   └─ POST (T)',
];

describe('ESM patching modes (register entry, ESM app)', { timeout: 90_000 }, () => {
  it.each([
    // The fixtures' nearest package.json (this package's) names @anthropic-ai/sdk.
    ['auto', { mode: 'auto', preloaded: ['anthropic'], hook: false }, WITH_CHAT],
    // Every installed framework (the workspace has them all installed).
    [
      'preload',
      { mode: 'preload', preloaded: expect.arrayContaining(['anthropic']), hook: false },
      WITH_CHAT,
    ],
    ['hook', { mode: 'hook', preloaded: [], hook: true }, WITH_CHAT],
    // Nothing patches the SDK's ES modules: only the app span and the raw HTTP call remain.
    ['off', { mode: 'off', preloaded: [], hook: false }, ['handle_request (T)', '└─ POST (T)']],
  ])('GENAI_OTEL_ESM=%s', async (mode, info, tree) => {
    assertBuilt();
    const r = await runNode(
      ['--import', '@genai-otel/node/register', '--import', './report-esm.mjs', 'app.mjs'],
      { cwd: fixtures, env: { GENAI_OTEL_ESM: mode } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(esmInfo(r.stdout)).toEqual(info);
    expect(treeLines(r.stderr)).toEqual(tree);
  });

  it('a CommonJS app needs neither (the require hook patches it)', async () => {
    const r = await runNode(
      ['--require', '@genai-otel/node/register', '--import', './report-esm.mjs', 'app.cjs'],
      { cwd: fixtures },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(esmInfo(r.stdout)).toEqual({ mode: 'auto', preloaded: [], hook: false });
    expect(treeLines(r.stderr)).toEqual(WITH_CHAT);
  });

  it("set up in code, esm: 'preload' patches a framework the app imported before set-up", async () => {
    const r = await runNode(['late-setup.mjs'], { cwd: fixtures, env: { FIXTURE_ESM: 'preload' } });
    expect(r.code, r.stderr).toBe(0);
    expect(esmInfo(r.stdout)).toMatchObject({ mode: 'preload', hook: false });
    expect(esmInfo(r.stdout).preloaded).toContain('anthropic');
    expect(treeLines(r.stderr)).toEqual(WITH_CHAT);
  });

  it("set up in code, esm: 'auto' uses the loader hook (the code may not await ready), which cannot reach an earlier static import", async () => {
    const r = await runNode(['late-setup.mjs'], { cwd: fixtures, env: { FIXTURE_ESM: 'auto' } });
    expect(r.code, r.stderr).toBe(0);
    expect(esmInfo(r.stdout)).toEqual({ mode: 'auto', preloaded: [], hook: true });
    expect(treeLines(r.stderr)).toEqual(['handle_request (T)', '└─ POST (T)']);
  });
});

describe('preload: a nested copy of a framework', { timeout: 90_000 }, () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const requireFromLangChain = createRequire(
    join(packageDir, '..', 'instrumentation-langchain', 'package.json'),
  );
  /** The installed copies of @langchain/core (1.x, and 0.3.x under its test alias). */
  const coreDir = (name: string) =>
    dirname(realpathSync(requireFromLangChain.resolve(`${name}/package.json`)));

  it('an ES module app whose dependency pins another @langchain/core: both copies are patched', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'genai-otel-nested-'));
    dirs.push(dir);
    const write = (path: string, text: string) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    const link = (target: string, path: string) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      symlinkSync(target, join(dir, path), 'dir');
    };
    write(
      'package.json',
      JSON.stringify({ type: 'module', dependencies: { '@langchain/core': '1', wrapper: '1' } }),
    );
    link(coreDir('@langchain/core'), 'node_modules/@langchain/core');
    write(
      'node_modules/wrapper/package.json',
      JSON.stringify({
        name: 'wrapper',
        type: 'module',
        exports: './index.js',
        dependencies: { '@langchain/core': '0.3' },
      }),
    );
    link(coreDir('@langchain/core-v03'), 'node_modules/wrapper/node_modules/@langchain/core');
    write(
      'node_modules/wrapper/index.js',
      `import { RunnableLambda } from '@langchain/core/runnables';
export { RunnableLambda };
export const coreVersion = (await import('@langchain/core/package.json', { with: { type: 'json' } })).default.version;`,
    );
    write(
      'app.mjs',
      `import { RunnableLambda } from '@langchain/core/runnables';
import { RunnableLambda as NestedLambda, coreVersion } from 'wrapper';
const own = (await import('@langchain/core/package.json', { with: { type: 'json' } })).default.version;
process.stdout.write(\`VERSIONS \${own} \${coreVersion}\n\`);
await RunnableLambda.from((x) => x).withConfig({ runName: 'app-copy' }).invoke(1);
await NestedLambda.from((x) => x).withConfig({ runName: 'nested-copy' }).invoke(1);
`,
    );
    const register = pathToFileURL(join(distDir, 'register.js')).href;
    const r = await runNode(['--import', register, 'app.mjs'], {
      cwd: dir,
      env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'langchain' },
    });
    expect(r.code, r.stderr).toBe(0);
    const [, own, nested] = r.stdout.match(/VERSIONS (\S+) (\S+)/) ?? [];
    expect(own).toMatch(/^1\./);
    expect(nested).toMatch(/^0\.3\./);
    const lines = treeLines(r.stderr);
    expect(lines).toContain('app-copy (T)');
    expect(lines).toContain('nested-copy (T)');
  });
});

describe('resolveAppEsm', () => {
  const nodeResolve = (specifier: string, cwd: string) =>
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `process.stdout.write(import.meta.resolve(${JSON.stringify(specifier)}))`,
      ],
      { cwd, encoding: 'utf8' },
    );
  const base = [join(packageDir, 'noop.js')];

  it.each(['@anthropic-ai/sdk', '@anthropic-ai/sdk/resources/messages', '@opentelemetry/api'])(
    '%s: the same file an import in the app loads',
    (specifier) => {
      expect(resolveAppEsm(specifier, base)).toBe(nodeResolve(specifier, packageDir));
    },
  );

  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  function project(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'genai-otel-esm-'));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }

  it('conditions, patterns, hidden subpaths, escapes and missing packages', () => {
    const dir = project({
      'node_modules/fw/package.json': JSON.stringify({
        name: 'fw',
        exports: {
          '.': { types: './x.d.ts', require: './index.cjs', import: './index.js' },
          './sub/*': { import: { types: './t.d.ts', default: './dist/*.js' } },
          './escape': './../outside.js',
          './package.json': './package.json',
        },
      }),
      'node_modules/fw/index.js': '',
      'node_modules/fw/index.cjs': '',
      'node_modules/fw/dist/a/b.js': '',
      'node_modules/sync/package.json': JSON.stringify({
        name: 'sync',
        exports: { '.': { 'module-sync': './sync.js', import: './imp.js', default: './def.js' } },
      }),
      'node_modules/sync/sync.js': '',
      'node_modules/sync/imp.js': '',
      'node_modules/sync/def.js': '',
      'node_modules/plain/package.json': JSON.stringify({ name: 'plain', main: 'lib/main.js' }),
      'node_modules/plain/lib/main.js': '',
    });
    const bases = [join(dir, 'noop.js')];
    expect(resolveAppEsm('fw', bases)).toBe(nodeResolve('fw', dir));
    expect(resolveAppEsm('fw/sub/a/b', bases)).toBe(nodeResolve('fw/sub/a/b', dir));
    expect(resolveAppEsm('plain', bases)).toBe(nodeResolve('plain', dir));
    expect(resolveAppEsm('sync', bases)).toBe(nodeResolve('sync', dir));
    expect(resolveAppEsm('fw/hidden', bases)).toBeUndefined();
    expect(resolveAppEsm('fw/escape', bases)).toBeUndefined();
    expect(resolveAppEsm('not-installed', bases)).toBeUndefined();
  });

  it('what the app uses: its package.json, and the dependencies and peers of what it names', () => {
    const dir = project({
      'app/package.json': JSON.stringify({
        type: 'module',
        dependencies: { 'agent-kit': '1', '@langchain/openai': '1' },
      }),
      'app/main.js': '',
      'app/legacy.cjs': '',
      'node_modules/agent-kit/package.json': JSON.stringify({
        name: 'agent-kit',
        peerDependencies: { llamaindex: '*' },
      }),
    });
    const entry = join(dir, 'app', 'main.js');
    const declared = appDeclaredPackages(entry);
    expect(frameworkDeclared('langchain', declared)).toBe(true); // @langchain/* named
    expect(frameworkDeclared('llamaindex', declared)).toBe(true); // a peer of agent-kit
    expect(frameworkDeclared('anthropic', declared)).toBe(false);
    expect(entryModuleFormat(entry)).toBe('esm');
    expect(entryModuleFormat(join(dir, 'app', 'legacy.cjs'))).toBe('cjs');
    expect(entryModuleFormat(join(dir, 'app', 'x.mjs'))).toBe('esm');
  });
});
