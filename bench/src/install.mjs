// Install footprint: what `npm install <instrumentation>` adds to a project, measured in
// temporary directories outside the workspace. Ours is packed with `pnpm pack` and installed
// from the tarballs (core's tarball through npm `overrides`); the alternatives come from npm.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BENCH_DIR, run } from './spawn.mjs';

const REPO = resolve(BENCH_DIR, '..');

async function walk(dir) {
  let bytes = 0;
  let files = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return { bytes, files };
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = await walk(p);
      bytes += sub.bytes;
      files += sub.files;
    } else if (e.isFile()) {
      bytes += (await stat(p)).size;
      files += 1;
    }
  }
  return { bytes, files };
}

/** Installed packages: every `node_modules/<name>` or `node_modules/@scope/<name>` dir, nested too. */
async function listPackages(nodeModules, out = new Map()) {
  let entries;
  try {
    entries = await readdir(nodeModules, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dirs = e.name.startsWith('@')
      ? (await readdir(join(nodeModules, e.name), { withFileTypes: true }))
          .filter((s) => s.isDirectory())
          .map((s) => join(nodeModules, e.name, s.name))
      : [join(nodeModules, e.name)];
    for (const d of dirs) {
      try {
        const pkg = JSON.parse(await readFile(join(d, 'package.json'), 'utf8'));
        out.set(d, `${pkg.name}@${pkg.version}`);
      } catch {
        continue;
      }
      await listPackages(join(d, 'node_modules'), out);
    }
  }
  return out;
}

async function measure(dir) {
  const nm = join(dir, 'node_modules');
  const { bytes, files } = await walk(nm);
  const pkgs = await listPackages(nm);
  return { bytes, files, packages: pkgs.size, names: [...new Set(pkgs.values())].sort() };
}

async function npmInstall(dir, specs, log) {
  const res = await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      '--no-package-lock',
      ...specs,
    ],
    { cwd: dir, timeoutMs: 300_000 },
  );
  if (res.code !== 0) {
    const msg = res.stderr.trim().split('\n').slice(-5).join(' | ');
    log(`  npm install ${specs.join(' ')} failed: ${msg}`);
    throw new Error(msg.slice(0, 500));
  }
}

async function packOurs(dest, log) {
  const tarballs = {};
  for (const dir of ['core', 'instrumentation-langchain']) {
    const res = await run('pnpm', ['pack', '--pack-destination', dest], {
      cwd: join(REPO, 'packages', dir),
    });
    if (res.code !== 0) throw new Error(`pnpm pack ${dir} failed: ${res.stderr.slice(-400)}`);
    const file = res.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .reverse()
      .find((l) => l.endsWith('.tgz'));
    tarballs[dir] = file.startsWith('/') ? file : join(dest, file.split('/').pop());
    log(`  packed ${dir}: ${tarballs[dir]}`);
  }
  return tarballs;
}

/**
 * @param candidates Record<key, { title, spec }> (spec may be 'OURS')
 * @param existing packages a LangChain app already has (for the "adds to an existing app" view)
 */
export async function measureInstall({ candidates, existing, log }) {
  const root = await mkdtemp(join(tmpdir(), 'genai-otel-bench-install-'));
  const results = { root, existing, candidates: {} };
  try {
    const tarDir = join(root, 'tarballs');
    await mkdir(tarDir);
    let ours;
    try {
      ours = await packOurs(tarDir, log);
    } catch (err) {
      log(`  packing ours failed: ${err.message}`);
    }
    for (const [key, c] of Object.entries(candidates)) {
      const entry = { title: c.title };
      results.candidates[key] = entry;
      for (const scenario of ['empty', 'existing']) {
        const dir = join(root, `${key}-${scenario}`);
        await mkdir(dir);
        const pkg = { name: `bench-install-${key}`, version: '1.0.0', private: true };
        let spec = c.spec;
        if (spec === 'OURS') {
          if (!ours) {
            entry.error = 'could not pack our packages';
            break;
          }
          pkg.overrides = { '@genai-otel/core': `file:${ours.core}` };
          spec = ours['instrumentation-langchain'];
        }
        await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
        try {
          let before = { bytes: 0, files: 0, packages: 0, names: [] };
          if (scenario === 'existing') {
            await npmInstall(dir, existing, log);
            before = await measure(dir);
          }
          await npmInstall(dir, [spec], log);
          const after = await measure(dir);
          const added = after.names.filter((n) => !before.names.includes(n));
          entry[scenario] = {
            bytes: after.bytes - before.bytes,
            files: after.files - before.files,
            packages: after.packages - before.packages,
            added,
          };
          log(
            `  ${key} (${scenario}): +${after.packages - before.packages} packages, +${after.bytes - before.bytes} bytes`,
          );
        } catch (err) {
          entry.error = err.message;
        }
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return results;
}
