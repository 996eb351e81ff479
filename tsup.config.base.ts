import { readFileSync } from 'node:fs';
import type { Options } from 'tsup';

/**
 * The build every published package shares: dual ESM + CJS with `.d.ts` / `.d.cts`, for
 * Node 20, with the package version baked in (tests run from source and see '0.0.0-dev').
 */
export function packageBuild(packageJsonUrl: URL, overrides: Options = {}): Options {
  const pkg = JSON.parse(readFileSync(packageJsonUrl, 'utf8'));
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    define: { __PACKAGE_VERSION__: JSON.stringify(pkg.version) },
    ...overrides,
  };
}
