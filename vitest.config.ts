import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// One vitest command for the whole monorepo. Workspace packages resolve to their sources so a
// change in core is seen by the instrumentation tests without a rebuild; the frameworks we
// instrument always come from the registry (node_modules), never from the workspace.
export default defineConfig({
  resolve: {
    alias: {
      '@genai-otel/core': src('core'),
      '@genai-otel/instrumentation-langchain': src('instrumentation-langchain'),
      '@genai-otel/instrumentation-llamaindex': src('instrumentation-llamaindex'),
      '@genai-otel/instrumentation-anthropic': src('instrumentation-anthropic'),
    },
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'tools/*/test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    restoreMocks: true,
  },
});
