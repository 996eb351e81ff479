import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A writable that keeps what the console tree wrote. */
export function captureStream(): { write(chunk: string): boolean; text(): string; isTTY: false } {
  let out = '';
  return {
    isTTY: false,
    write(chunk: string) {
      out += chunk;
      return true;
    },
    text: () => out,
  };
}

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const distDir = fileURLToPath(new URL('../dist', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(`${distDir}/register.js`) || !existsSync(`${distDir}/register.cjs`)) {
    throw new Error(
      'packages/node/dist is missing: run `pnpm --filter @genai-otel/node build` before the child-process tests',
    );
  }
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs node with arguments in `cwd`; resolves when it exits (killed after `timeoutMs`). */
export function runNode(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    /** Called once the child printed this marker on stdout (e.g. to send a signal). */
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
  },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      // A clean OpenTelemetry environment: only what the test sets.
      if (v !== undefined && !k.startsWith('OTEL_') && !k.startsWith('GENAI_OTEL_')) env[k] = v;
    }
    for (const [k, v] of Object.entries(options.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    delete env.NODE_OPTIONS;
    delete env.VITEST;
    const child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A child's console-tree lines with durations blanked, so assertions are about shape only. */
export function treeLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('(node:') && !l.includes('--trace-warnings'))
    .map((l) => l.replace(/\(\d+(\.\d+)? (ms|s)\)/g, '(T)'));
}
