// Child process helpers: run a worker and parse its single result line.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
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

const PAUSABLE = process.platform !== 'win32';

/**
 * A long-lived worker (`mode: 'serve'`): set up once, then driven command by command, so the
 * orchestrator can interleave short timed blocks of several rows (each in its own process).
 * `send(cmd)` resolves with the worker's reply; `close()` ends it.
 */
export function startServeWorker(spec, { nodeArgs = [], benchDir = BENCH_DIR } = {}) {
  // `benchDir`: another checkout's bench (`--baseline-tree`), whose worker loads that tree's build.
  const worker = benchDir === BENCH_DIR ? WORKER : join(benchDir, 'src', 'worker.mjs');
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...nodeArgs, worker, JSON.stringify({ ...spec, mode: 'serve' })],
    {
      cwd: benchDir,
      env: { ...process.env, OTEL_LOG_LEVEL: 'none' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const waiting = [];
  let stderr = '';
  let buffered = '';
  let exited;
  const fail = (why) => {
    exited = why;
    for (const w of waiting.splice(0)) w.resolve({ error: why });
  };
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  child.stdout.on('data', (d) => {
    buffered += d;
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('BENCH_REPLY ')) waiting.shift()?.resolve(JSON.parse(line.slice(12)));
      nl = buffered.indexOf('\n');
    }
  });
  child.on('close', (code, signal) => {
    const tail = stderr.trim().split('\n').slice(-6).join(' | ');
    fail(`exit ${code ?? signal}: ${tail.slice(0, 600)}`);
  });
  const next = (timeoutMs) =>
    new Promise((resolve) => {
      if (exited) return resolve({ error: exited });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, timeoutMs);
      waiting.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      });
    });
  // Between its commands a worker is stopped (SIGSTOP), not just idle: an idle V8 process still
  // runs its memory reducer (GC on background threads) and timers, and with eight workers
  // alive that work lands in the middle of another row's timed block.
  const signal = (sig) => {
    if (exited || !PAUSABLE) return;
    try {
      child.kill(sig);
    } catch {
      // the process is gone; 'close' reports it
    }
  };
  const ready = next(120_000).then((r) => {
    signal('SIGSTOP');
    return r;
  });
  return {
    ready,
    async send(cmd, timeoutMs = 10 * 60_000) {
      const reply = next(timeoutMs);
      signal('SIGCONT');
      if (!exited) child.stdin.write(`${JSON.stringify(cmd)}\n`);
      const r = await reply;
      signal('SIGSTOP');
      return r;
    },
    close() {
      if (exited) return Promise.resolve();
      const done = new Promise((resolve) => child.once('close', resolve));
      signal('SIGCONT');
      child.stdin.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
      return done;
    },
  };
}
