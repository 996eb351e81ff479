// 40 requests: 37 fast successes, 2 overloaded errors and 1 slow answer. Adaptive sampling
// keeps both errors and the slow one (whole traces) and a small share of the rest, and the
// console and OTLP destinations get the same kept traces; Prometheus counts all 40 calls.
import Anthropic from '@anthropic-ai/sdk';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { startFakeAnthropic } from './fake-anthropic.mjs';
import { prometheusPort, sink, telemetry } from './telemetry.mjs';

const live = Boolean(process.env.ANTHROPIC_API_KEY);
const fake = live ? undefined : await startFakeAnthropic();
const client = live
  ? new Anthropic()
  : new Anthropic({ apiKey: 'offline', baseURL: fake.url, maxRetries: 0 });
const model = process.env.ANTHROPIC_MODEL ?? 'claude-haiku-4-5';
const tracer = trace.getTracer('multi-exporter-example');

const questions = Array.from({ length: 40 }, (_, i) =>
  i === 7 || i === 23
    ? `question ${i} (overload)`
    : i === 31
      ? `question ${i} (slow)`
      : `question ${i}`,
);

let failed = 0;
for (const [i, question] of questions.entries()) {
  await tracer.startActiveSpan('handle_question', async (span) => {
    span.setAttribute('app.question_index', i);
    try {
      await client.messages.create({
        model,
        max_tokens: 64,
        messages: [{ role: 'user', content: question }],
      });
    } catch (err) {
      failed++;
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      span.setAttribute('error.type', err.constructor.name);
    } finally {
      span.end();
    }
  });
}
console.log(`requests: ${questions.length}, failed: ${failed}`);

await telemetry.forceFlush();
for (const s of telemetry.exportStats()) {
  console.log(
    `exporter ${s.name}: exported ${s.exported} spans, dropped ${s.droppedQueueFull + s.droppedExportFailed}`,
  );
}
if (sink)
  console.log(`otlp sink: ${sink.received.traceIds.size} traces, ${sink.received.spans} spans`);

// Prometheus sees every call, sampled or not. (This scrape is the example's own bookkeeping,
// not part of the app: tracing is suppressed for it, so it makes no trace of its own.)
const metricsText = await context.with(suppressTracing(context.active()), async () =>
  (await fetch(`http://127.0.0.1:${prometheusPort}/metrics`)).text(),
);
for (const line of metricsText.split('\n')) {
  if (/^gen_ai_client_operation_duration_count|^gen_ai_client_token_usage_sum/.test(line)) {
    console.log(`prometheus: ${line.replace(/,?otel_scope_(name|version)="[^"]*"/g, '')}`);
  }
}

await fake?.close();
await telemetry.shutdown();
sink?.server.close();
