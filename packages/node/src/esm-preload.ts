/**
 * ESM patching without a loader hook ("preload").
 *
 * Our instrumentations patch classes (prototype methods and statics), and a class is a
 * mutable object even when it comes from an ES module. So instead of routing every import of
 * the application through a loader hook (on Node 20 any `module.register` hook runs on a
 * separate thread, and the round trips alone cost a few hundred milliseconds of start-up), we
 * import the framework's own ES modules once, from where the application resolves them, and
 * patch the classes in them. The application's later imports get the same module instances
 * (ES modules are cached by URL), already patched; modules it imported before us are patched
 * too.
 *
 * A second copy of a framework nested under a package the application names (a dependency
 * pinned to another version) is found from that package's directory and patched too. What
 * this cannot see: a copy nested deeper, under a package the application does not resolve
 * itself. The loader hook (`esm: 'hook'`) covers that.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where the application's dependencies resolve from: its entry script's directory, then the working directory. */
export function appResolutionBases(entry = process.argv[1]): string[] {
  const bases: string[] = [];
  if (entry) bases.push(join(dirname(resolve(entry)), 'noop.js'));
  bases.push(join(process.cwd(), 'noop.js'));
  return bases;
}

/** `@scope/name/sub/path` -> `['@scope/name', './sub/path']`. */
export function splitSpecifier(specifier: string): [string, string] {
  const parts = specifier.split('/');
  const nameLength = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const rest = parts.slice(nameLength).join('/');
  return [name, rest ? `./${rest}` : '.'];
}

/** The directory of `pkg` as the application (from `base`) would load it, symlinks resolved. */
function packageDir(pkg: string, base: string): string | undefined {
  const paths = createRequire(base).resolve.paths(pkg) ?? [];
  for (const nodeModules of paths) {
    const dir = join(nodeModules, pkg);
    if (existsSync(join(dir, 'package.json'))) return realpathSync(dir);
  }
  return undefined;
}

/**
 * Conditions an ES module import matches on this Node, in no particular order (the map
 * decides). `module-sync` is matched wherever `require()` of ES modules is on (20.19+, 22.12+).
 */
const IMPORT_CONDITIONS = new Set(['node', 'import', 'default']);
if ((process.features as { require_module?: boolean }).require_module)
  IMPORT_CONDITIONS.add('module-sync');

/** Resolves one `exports` target for an ES module import (strings, condition objects, arrays). */
function conditionalTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = conditionalTarget(t);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (target && typeof target === 'object') {
    // The first matching key in the map's own order wins, as in Node's resolver.
    for (const [condition, value] of Object.entries(target)) {
      if (!IMPORT_CONDITIONS.has(condition)) continue;
      const r = conditionalTarget(value);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/** The file an `exports` map gives `subpath` (exact keys and `*` patterns). */
function exportsTarget(exportsField: unknown, subpath: string): string | undefined {
  if (typeof exportsField === 'string' || Array.isArray(exportsField))
    return subpath === '.' ? conditionalTarget(exportsField) : undefined;
  if (!exportsField || typeof exportsField !== 'object') return undefined;
  const map = exportsField as Record<string, unknown>;
  const keys = Object.keys(map);
  // A map of conditions only (no subpaths) describes ".".
  if (!keys.some((k) => k.startsWith('.')))
    return subpath === '.' ? conditionalTarget(map) : undefined;
  if (Object.hasOwn(map, subpath)) return conditionalTarget(map[subpath]);
  for (const key of keys) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (
      subpath.startsWith(prefix) &&
      subpath.endsWith(suffix) &&
      subpath.length >= key.length - 1
    ) {
      const match = subpath.slice(prefix.length, subpath.length - suffix.length);
      return conditionalTarget(map[key])?.replaceAll('*', match);
    }
  }
  return undefined;
}

/**
 * The `file:` URL an ES module `import(specifier)` in the application would load, or
 * undefined when the package is not installed there or the subpath is not exported.
 */
export function resolveAppEsm(specifier: string, bases = appResolutionBases()): string | undefined {
  const [pkg, subpath] = splitSpecifier(specifier);
  for (const base of bases) {
    const dir = packageDir(pkg, base);
    if (!dir) continue;
    let manifest: { exports?: unknown; main?: unknown };
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    let target: string | undefined;
    if (manifest.exports !== undefined) target = exportsTarget(manifest.exports, subpath);
    else if (subpath === '.')
      target = typeof manifest.main === 'string' ? manifest.main : 'index.js';
    if (!target) return undefined;
    const file = resolve(dir, target);
    // An exports target must stay inside its package.
    if (file !== dir && !file.startsWith(dir + sep)) return undefined;
    return existsSync(file) ? pathToFileURL(file).href : undefined;
  }
  return undefined;
}

/** The nearest `package.json` above `fromDir`, parsed (undefined when none or unreadable). */
function nearestManifest(fromDir: string): Record<string, unknown> | undefined {
  let dir = fromDir;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** How the application's entry script is loaded: ES module, CommonJS, or unknown (no script). */
export function entryModuleFormat(entry = process.argv[1]): 'esm' | 'cjs' | undefined {
  if (!entry) return undefined;
  if (entry.endsWith('.mjs') || entry.endsWith('.mts')) return 'esm';
  if (entry.endsWith('.cjs') || entry.endsWith('.cts')) return 'cjs';
  const manifest = nearestManifest(dirname(resolve(entry)));
  return manifest?.type === 'module' ? 'esm' : 'cjs';
}

const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
] as const;

/** What a package needs at run time (its own dev dependencies say nothing about the app). */
const RUNTIME_DEPENDENCY_FIELDS = [
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
] as const;

function addDependencies(
  manifest: Record<string, unknown>,
  into: Set<string>,
  fields: readonly string[] = DEPENDENCY_FIELDS,
): void {
  for (const field of fields) {
    const deps = manifest[field];
    if (deps && typeof deps === 'object') for (const name of Object.keys(deps)) into.add(name);
  }
}

/** Every package the application's own `package.json` names (all dependency kinds). */
export function appDirectDependencies(entry = process.argv[1]): Set<string> {
  const direct = new Set<string>();
  const dir = entry ? dirname(resolve(entry)) : process.cwd();
  const manifest = nearestManifest(dir) ?? nearestManifest(process.cwd());
  if (manifest) addDependencies(manifest, direct);
  return direct;
}

/**
 * The packages the application uses: every package its own `package.json` names (all
 * dependency kinds), plus what those packages depend on or expect as peers, one level down
 * (so a framework used through a wrapper library, e.g. installed as the wrapper's peer,
 * counts too).
 */
export function appDeclaredPackages(
  entry = process.argv[1],
  direct: ReadonlySet<string> = appDirectDependencies(entry),
): Set<string> {
  const all = new Set(direct);
  const bases = appResolutionBases(entry);
  for (const name of direct) {
    for (const base of bases) {
      const pkgDir = packageDir(name, base);
      if (!pkgDir) continue;
      const dependency = nearestManifest(pkgDir);
      if (dependency) addDependencies(dependency, all, RUNTIME_DEPENDENCY_FIELDS);
      break;
    }
  }
  return all;
}

/**
 * Resolution bases for the copies of the packages of `specifiers` that the packages in `users`
 * (named by the application) get instead of the application's own: one base inside each user
 * whose copy is a different directory (a nested, differently versioned copy). Costs a few
 * `stat`s per user; nothing is read unless a nested copy exists.
 */
export function nestedCopyBases(
  specifiers: readonly string[],
  users: Iterable<string>,
  bases = appResolutionBases(),
): string[] {
  const packages = [...new Set(specifiers.map((s) => splitSpecifier(s)[0]))];
  const appCopies = new Set<string>();
  for (const pkg of packages) {
    for (const base of bases) {
      const dir = packageDir(pkg, base);
      if (dir) {
        appCopies.add(dir);
        break;
      }
    }
  }
  const seen = new Set(appCopies);
  const out: string[] = [];
  for (const user of users) {
    let userDir: string | undefined;
    for (const base of bases) {
      userDir = packageDir(user, base);
      if (userDir) break;
    }
    if (!userDir) continue;
    const userBase = join(userDir, 'noop.js');
    let nested = false;
    for (const pkg of packages) {
      const dir = packageDir(pkg, userBase);
      if (dir && !seen.has(dir)) {
        seen.add(dir);
        nested = true;
      }
    }
    if (nested) out.push(userBase);
  }
  return out;
}

/**
 * Imports `specifiers` from where the application resolves them, and from each of
 * `nestedBases` (other copies), and hands each distinct module to `patch`. Returns the
 * specifiers loaded from the application's own copy.
 */
export async function preloadModules(
  specifiers: readonly string[],
  patch: (moduleExports: unknown) => void,
  bases = appResolutionBases(),
  nestedBases: readonly string[] = [],
): Promise<string[]> {
  const importOf = (url: string | undefined) =>
    url ? import(url).catch(() => undefined) : Promise.resolve(undefined);
  const urls = specifiers.map((s) => resolveAppEsm(s, bases));
  const seen = new Set(urls);
  const nestedUrls: string[] = [];
  for (const base of nestedBases) {
    for (const s of specifiers) {
      const url = resolveAppEsm(s, [base]);
      if (url !== undefined && !seen.has(url)) {
        seen.add(url);
        nestedUrls.push(url);
      }
    }
  }
  const [loaded, nested] = await Promise.all([
    Promise.all(urls.map(importOf)),
    Promise.all(nestedUrls.map(importOf)),
  ]);
  const done: string[] = [];
  loaded.forEach((mod, i) => {
    if (mod === undefined) return;
    patch(mod);
    done.push(specifiers[i] as string);
  });
  for (const mod of nested) if (mod !== undefined) patch(mod);
  return done;
}
