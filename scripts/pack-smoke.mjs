// Pack smoke test: `pnpm pack` every publishable package, install the tarballs with npm into a
// fresh project outside the workspace, then load each package with require() and import and
// run instrumented calls end to end (scripts/pack-smoke/app.*): exactly what a user gets.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishablePackages, root } from './workspace.mjs';

// Versions of the frameworks the smoke app drives (the same ones the tests use).
const APP_DEPENDENCIES = {
  '@opentelemetry/api': '1.9.0',
  '@opentelemetry/sdk-trace-base': '2.12.1',
  '@opentelemetry/sdk-metrics': '2.12.1',
  '@opentelemetry/context-async-hooks': '2.12.0',
  '@anthropic-ai/sdk': '1.12.0',
  '@langchain/core': '1.4.0',
};

const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'genai-otel-pack-smoke-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
mkdirSync(tarballs);
mkdirSync(app);

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    console.error(
      `pack smoke: "${cmd} ${args.join(' ')}" failed (${r.status ?? r.signal})\n${r.stdout}\n${r.stderr}`,
    );
    process.exit(1);
  }
  return r.stdout;
}

const packages = publishablePackages();
const fileDeps = {};
for (const { path } of packages) {
  run('pnpm', ['pack', '--pack-destination', tarballs], path);
}
for (const file of readdirSync(tarballs)) {
  const pkg = packages.find(
    (p) => file === `${p.name.replace('@', '').replace('/', '-')}-${p.version}.tgz`,
  );
  if (pkg) fileDeps[pkg.name] = `file:../tarballs/${file}`;
}
if (Object.keys(fileDeps).length !== packages.length) {
  console.error('pack smoke: missing tarballs', readdirSync(tarballs));
  process.exit(1);
}

writeFileSync(
  join(app, 'package.json'),
  JSON.stringify(
    {
      name: 'genai-otel-pack-smoke',
      private: true,
      dependencies: { ...fileDeps, ...APP_DEPENDENCIES },
      // Our packages depend on each other by version; resolve those to the tarballs too.
      overrides: fileDeps,
    },
    null,
    2,
  ),
);
for (const f of readdirSync(join(root, 'scripts', 'pack-smoke')))
  cpSync(join(root, 'scripts', 'pack-smoke', f), join(app, f));
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);

const expectedPackages = packages.map((p) => p.name).join(',');
let failed = false;
for (const [label, args] of [
  ['require (CJS)', ['app.cjs']],
  ['import (ESM)', ['--import', './register.mjs', 'app.mjs']],
]) {
  const r = spawnSync(process.execPath, args, {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, SMOKE_PACKAGES: expectedPackages },
    timeout: 120_000,
  });
  const ok = r.status === 0;
  failed ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} pack smoke ${label}\n${r.stdout.trim()}${ok ? '' : `\n${r.stderr}`}`,
  );
}

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
if (failed) process.exit(1);
