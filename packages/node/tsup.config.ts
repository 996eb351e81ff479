import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default defineConfig({
  // `register` is the `--import` / `--require` entry (a side effect only).
  entry: ['src/index.ts', 'src/register.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // `import.meta.url` in the CommonJS build (module.register, createRequire).
  shims: true,
  // The published version is baked in at build time (tests run from source and see '0.0.0-dev').
  define: { __PACKAGE_VERSION__: JSON.stringify(pkg.version) },
});
