// The "query_with_context" flow: our own spans around one Anthropic call. The chat span comes
// from @genai-otel/instrumentation-anthropic; it nests under query_with_context because the
// call runs inside that span's context.
import { context, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { retrieve } from './knowledge.mjs';

const tracer = trace.getTracer('anthropic-rag-example', '1.0.0');

const SYSTEM =
  'Answer only from the context. Reply with JSON: {"answer": string, "sources": string[]}.';

/** Runs `fn` inside a span named `name`, ending it (and recording a failure) either way. */
async function inSpan(name, fn) {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err);
      span.setAttribute('error.type', err?.constructor?.name ?? 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err?.message ?? err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Answers `question` for one request. `userId` and `requestId` travel as W3C baggage (they
 * would reach downstream services too) and are stamped on every span by the allowlist.
 */
export function queryWithContext(client, model, question, { userId, requestId }) {
  const baggage = propagation.createBaggage({
    user_id: { value: userId },
    request_id: { value: requestId },
  });
  return context.with(propagation.setBaggage(context.active(), baggage), () =>
    inSpan('query_with_context', async () => {
      const docs = await inSpan('assemble_context', async (span) => {
        const found = retrieve(question);
        span.setAttribute('rag.documents', found.length);
        return found;
      });
      const prompt = await inSpan('construct_prompt', async (span) => {
        const text = `Context:\n${docs.map((d) => `[${d.id}] ${d.text}`).join('\n')}\n\nQuestion: ${question}`;
        span.setAttribute('rag.prompt_chars', text.length);
        return text;
      });
      const message = await client.messages.create({
        model,
        max_tokens: 300,
        temperature: 0,
        system: SYSTEM,
        messages: [{ role: 'user', content: prompt }],
      });
      return inSpan('parse_response', async () => {
        const text = message.content.find((b) => b.type === 'text')?.text ?? '';
        const parsed = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
        return { answer: String(parsed.answer), sources: parsed.sources ?? [] };
      });
    }),
  );
}
