/**
 * The Prometheus endpoint scraped by a real Prometheus server (Debian package `prometheus`).
 * Skips, saying why, when the binary is not installed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenAITelemetry } from '@genai-otel/core';
import { unusedPort } from '@genai-otel/test-utils';
import { metrics, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { setupTelemetry } from '../src/index.js';
import type { TelemetryHandle } from '../src/types.js';

function findPrometheus(): string | undefined {
  for (const candidate of [process.env.PROMETHEUS_BIN, 'prometheus', '/usr/bin/prometheus']) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

const prometheusBin = findPrometheus();
let prometheus: ChildProcess | undefined;
let handle: TelemetryHandle | undefined;
const work = mkdtempSync(join(tmpdir(), 'genai-otel-prom-'));

afterAll(async () => {
  if (prometheus?.pid) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await handle?.shutdown();
  rmSync(work, { recursive: true, force: true });
});

async function query(api: string, promql: string): Promise<any[]> {
  const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (!res.ok) return [];
  const body = (await res.json()) as { data?: { result?: any[] } };
  return body.data?.result ?? [];
}

/** Polls until `check` returns a value (Prometheus scrapes on its own schedule); bounded. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Prometheus: gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Prometheus exporter scraped by a real Prometheus server', () => {
  it('exposes the GenAI metrics with their names and labels', { timeout: 90_000 }, async (ctx) => {
    if (!prometheusBin) {
      console.warn(
        'SKIPPED: the `prometheus` binary is not installed (Debian: apt-get install -y prometheus); the Prometheus integration test did not run',
      );
      ctx.skip('prometheus binary not installed (apt-get install -y prometheus)');
    }
    const metricsPort = await unusedPort();
    handle = setupTelemetry({
      serviceName: 'prom-test',
      traceExporters: ['none'],
      metricExporters: ['prometheus'],
      prometheus: { port: metricsPort, host: '127.0.0.1' },
      instrumentations: { anthropic: false, langchain: false, llamaindex: false },
      esmHook: false,
    });
    const telemetry = new GenAITelemetry(
      () => trace.getTracer('prom'),
      () => metrics.getMeter('prom'),
      () => ({}),
      'test',
    );
    for (const [input, output] of [
      [100, 20],
      [300, 40],
    ]) {
      const span = telemetry.startSpan({ kind: 'LLM', name: 'claude-x', provider: 'anthropic' });
      span.setRequest({ model: 'claude-x' });
      span.setUsage({ inputTokens: input, outputTokens: output });
      span.end();
    }

    const apiPort = await unusedPort();
    const config = join(work, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: genai',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${metricsPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      prometheusBin!,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(work, 'data')}`,
        `--web.listen-address=127.0.0.1:${apiPort}`,
      ],
      { stdio: 'ignore' },
    );
    const api = `http://127.0.0.1:${apiPort}`;

    const tokens = await eventually(async () => {
      const r = await query(api, 'gen_ai_client_token_usage_sum');
      return r.length >= 2 ? r : undefined;
    }, 'gen_ai_client_token_usage_sum');
    const byType = Object.fromEntries(tokens.map((s) => [s.metric.gen_ai_token_type, s]));
    expect(byType.input.metric).toMatchObject({
      job: 'genai',
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'anthropic',
      gen_ai_request_model: 'claude-x',
    });
    expect(Number(byType.input.value[1])).toBe(400);
    expect(Number(byType.output.value[1])).toBe(60);

    const count = await query(api, 'gen_ai_client_operation_duration_count');
    expect(count).toHaveLength(1);
    expect(count[0].metric).toMatchObject({
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'anthropic',
      gen_ai_request_model: 'claude-x',
    });
    expect(Number(count[0].value[1])).toBe(2);
    // Histogram buckets use the conventions' advice (durations: 0.01 s doubling).
    const buckets = await query(api, 'gen_ai_client_operation_duration_bucket');
    expect(new Set(buckets.map((b) => b.metric.le))).toContain('0.01');
    const tokenBuckets = await query(
      api,
      'gen_ai_client_token_usage_bucket{gen_ai_token_type="input"}',
    );
    expect(new Set(tokenBuckets.map((b) => b.metric.le))).toContain('256');
    // The resource is exposed as target_info.
    const info = await query(api, 'target_info');
    expect(info[0]?.metric.service_name).toBe('prom-test');
  });
});
