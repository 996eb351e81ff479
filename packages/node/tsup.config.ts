import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base.js';

export default defineConfig(
  packageBuild(new URL('./package.json', import.meta.url), {
    // `register` is the `--import` / `--require` entry (a side effect only).
    entry: ['src/index.ts', 'src/register.ts'],
    // `import.meta.url` in the CommonJS build (module.register, createRequire).
    shims: true,
  }),
);
