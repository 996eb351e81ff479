// Asserts which OpenTelemetry line the test harness resolves, so a matrix row cannot pass
// while silently running the other line.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { root } from './workspace.mjs';

const line = process.argv[2] ?? 'a';
const require = createRequire(join(root, 'tools', 'test-utils', 'package.json'));
// Some packages do not export ./package.json: walk up from the resolved entry instead.
function versionOf(name) {
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
    dir = dirname(dir);
  }
  throw new Error(`no package.json for ${name}`);
}
const api = versionOf('@opentelemetry/api');
let sdk;
try {
  sdk = `sdk-trace ${versionOf('@opentelemetry/sdk-trace')}`;
} catch {
  sdk = `sdk-trace-base ${versionOf('@opentelemetry/sdk-trace-base')}`;
}
console.log(`OpenTelemetry line ${line}: Node ${process.version}, api ${api}, ${sdk}`);
const ok =
  line === 'b'
    ? api.startsWith('1.10.') && sdk.startsWith('sdk-trace 3.')
    : api.startsWith('1.9.') && sdk.startsWith('sdk-trace-base 2.');
if (!ok) {
  console.error(`expected OpenTelemetry line ${line}`);
  process.exit(1);
}
