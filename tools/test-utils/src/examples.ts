/**
 * Running an example (or any small app) as a child process, the way a user runs it, with the
 * variables a developer's shell may carry removed so the test sees only what it sets.
 */
import { spawn } from 'node:child_process';

export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const AMBIENT = /^(OTEL_|GENAI_OTEL_|ANTHROPIC_|LANGCHAIN_|LANGSMITH_)/;

/** `node <args>` in `cwd`; killed after `timeoutMs`. */
export function runExample(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ExampleRun> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !AMBIENT.test(k) && k !== 'NODE_OPTIONS') childEnv[k] = v;
    }
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...childEnv, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The console exporter's trees in `stderr`, with durations and first-chunk times blanked. */
export function consoleTrees(stderr: string): string[] {
  return stderr
    .trim()
    .split(/\n\n+/)
    .map((t) =>
      t
        .replace(/ \(\d+(\.\d+)? (ms|s)\)/g, '')
        .replace(/ first chunk \d+(\.\d+)? (ms|s)/g, ' first chunk T'),
    );
}
