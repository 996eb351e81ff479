// Machine and version information for the report.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { BENCH_DIR } from './spawn.mjs';

const REPO = resolve(BENCH_DIR, '..');

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    loadavg: os.loadavg(),
  };
}

function pkgJson(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Directory of a package as the bench (or, with `from`, another package) resolves it. */
export function packageDir(name, from = BENCH_DIR) {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function packageVersion(name, from) {
  const dir = packageDir(name, from);
  return dir ? pkgJson(dir)?.version : undefined;
}

/** Newest modification time of the files under a directory (0 if missing). */
function newestMtime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export function versionsInfo() {
  const sdkBase = packageDir('@opentelemetry/sdk-trace-base');
  const framework = {
    '@langchain/core': packageVersion('@langchain/core'),
    llamaindex: packageVersion('llamaindex'),
    '@llamaindex/core': packageVersion('@llamaindex/core', packageDir('llamaindex')),
    '@anthropic-ai/sdk': packageVersion('@anthropic-ai/sdk'),
  };
  const otel = {
    '@opentelemetry/api': packageVersion('@opentelemetry/api'),
    '@opentelemetry/sdk-trace-base': packageVersion('@opentelemetry/sdk-trace-base'),
    '@opentelemetry/sdk-trace': sdkBase
      ? packageVersion('@opentelemetry/sdk-trace', sdkBase)
      : undefined,
    '@opentelemetry/context-async-hooks': packageVersion('@opentelemetry/context-async-hooks'),
    '@opentelemetry/instrumentation': packageVersion('@opentelemetry/instrumentation'),
  };
  const alternatives = {};
  for (const name of [
    '@arizeai/openinference-instrumentation-langchain',
    '@traceloop/instrumentation-langchain',
  ]) {
    const dir = packageDir(name);
    alternatives[name] = {
      version: packageVersion(name),
      instrumentation: dir ? packageVersion('@opentelemetry/instrumentation', dir) : undefined,
    };
  }
  const head = git(['rev-parse', '--short', 'HEAD']);
  const ours = {};
  for (const dir of [
    'core',
    'instrumentation-langchain',
    'instrumentation-llamaindex',
    'instrumentation-anthropic',
    'node',
  ]) {
    const pkg = pkgJson(join(REPO, 'packages', dir));
    if (!pkg) continue;
    ours[pkg.name] = {
      version: pkg.version,
      commit: git(['log', '-1', '--format=%h', '--', `packages/${dir}`]),
      built: existsSync(join(REPO, 'packages', dir, 'dist')),
      stale:
        newestMtime(join(REPO, 'packages', dir, 'src')) >
        newestMtime(join(REPO, 'packages', dir, 'dist')),
    };
  }
  const dirty = git(['status', '--porcelain', '--', 'packages']);
  return { framework, otel, alternatives, ours, head, dirtyPackages: Boolean(dirty) };
}
