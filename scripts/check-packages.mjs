// Package correctness gates for every publishable package: publint (package.json, exports,
// files) and @arethetypeswrong/cli (types resolve correctly for import and require under
// node16/bundler resolution). Run after `turbo run build`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publishablePackages, root } from './workspace.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);
let failed = 0;

for (const { name, path } of publishablePackages()) {
  for (const [label, cmd, args] of [
    ['publint', bin('publint'), ['--strict', path]],
    ['attw', bin('attw'), ['--pack', path, '--format', 'table-flipped']],
  ]) {
    const r = spawnSync(cmd, args, { cwd: path, encoding: 'utf8' });
    const ok = r.status === 0;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${label} ${name}`);
    if (!ok) {
      failed++;
      console.log(r.stdout, r.stderr);
    }
  }
}

if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
