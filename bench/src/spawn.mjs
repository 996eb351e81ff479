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
      // A heap child runs 20k invocations of every workload: slow rows can need well over
      // 10 minutes on a busy machine.
      timeoutMs: spec.mode === 'heap' ? 45 * 60_000 : 15 * 60_000,
    },
  );
  const line = res.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (res.code !== 0 || !line) {
    const tail = (res.stderr || res.stdout).trim().split('\n').slice(-6).join(' | ');
    const why = res.signal === 'SIGKILL' ? 'timed out' : `exit ${res.code ?? res.signal}`;
    return { ...spec, error: `${why}: ${tail.slice(0, 600)}` };
  }
  return JSON.parse(line.slice('BENCH_RESULT '.length));
}
