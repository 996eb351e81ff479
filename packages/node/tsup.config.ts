import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base.js';

const pkg = new URL('./package.json', import.meta.url);

// Two builds into one dist/: the `register` entry differs per format, because the ES module
// one awaits the set-up (top-level await), which CommonJS cannot. `rm -rf dist` runs first
// (package.json "build"), so neither build cleans (they run at the same time).
export default defineConfig([
  packageBuild(pkg, {
    format: ['esm'],
    entry: { index: 'src/index.ts', register: 'src/register-esm.ts' },
    shims: true,
    clean: false,
  }),
  packageBuild(pkg, {
    format: ['cjs'],
    entry: { index: 'src/index.ts', register: 'src/register.ts' },
    // `import.meta.url` in the CommonJS build (module.register, createRequire).
    shims: true,
    clean: false,
  }),
]);
