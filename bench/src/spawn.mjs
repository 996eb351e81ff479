// Child process helpers: run a worker and parse its single result line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

export function run(cmd, args, { cwd = BENCH_DIR, env = process.env, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export async function runWorker(spec, { nodeArgs = [] } = {}) {
  const res = await run(
    process.execPath,
    ['--expose-gc', ...nodeArgs, WORKER, JSON.stringify(spec)],
    {
      env: { ...process.env, OTEL_LOG_LEVEL: 'none' },
    },
  );
  const line = res.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (res.code !== 0 || !line) {
    const tail = (res.stderr || res.stdout).trim().split('\n').slice(-6).join(' | ');
    return { ...spec, error: `exit ${res.code ?? res.signal}: ${tail.slice(0, 600)}` };
  }
  return JSON.parse(line.slice('BENCH_RESULT '.length));
}
