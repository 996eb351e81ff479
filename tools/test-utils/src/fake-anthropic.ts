/**
 * A fake Anthropic Messages API on 127.0.0.1 for tests, examples and benchmarks.
 *
 * It speaks enough of the real wire protocol for the official `@anthropic-ai/sdk` to work
 * against it unchanged: `POST /v1/messages` (JSON or server-sent events), `/v1/complete`
 * (legacy text completions), `/v1/messages/count_tokens`, error envelopes with the status
 * codes the API uses, and failure modes (connection reset mid-stream, a response that never
 * comes, a slow first byte). Replies are scripted per request with {@link FakeAnthropic.enqueue};
 * without a script the server answers with a short text message (or stream) echoing the model.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeAnthropicRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined when the body was not JSON). */
  body: any;
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** One scripted reply. */
export type FakeAnthropicReply =
  | {
      kind: 'json';
      status?: number;
      body: unknown;
      headers?: Record<string, string>;
      /** Held until this promise settles before the response is written. */
      firstByteGate?: Promise<unknown>;
      /**
       * Destroy the connection after writing this many bytes of the body (its full length
       * announced): a connection that drops while the response is read.
       */
      truncateAfterBytes?: number;
    }
  | {
      kind: 'sse';
      events: SseEvent[];
      headers?: Record<string, string>;
      /** Held until this promise settles before the first byte is written. */
      firstByteGate?: Promise<unknown>;
      /** Destroy the connection after writing this many events (a reset mid-stream). */
      resetAfter?: number;
    }
  | {
      kind: 'error';
      status: number;
      /** The API error type (`overloaded_error`, ...). Omit to send a non-JSON body. */
      type?: string;
      message?: string;
      headers?: Record<string, string>;
    }
  /** Destroy the socket without answering. */
  | { kind: 'reset' }
  /** Never answer (until the server closes): for client timeouts. */
  | { kind: 'hang' };

export type FakeAnthropicHandler = (
  req: FakeAnthropicRequest,
) => FakeAnthropicReply | undefined | Promise<FakeAnthropicReply | undefined>;

export interface FakeAnthropic {
  /** `http://127.0.0.1:PORT`: pass as the client's `baseURL`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: FakeAnthropicRequest[];
  /** Scripts the replies of the next requests, in order. */
  enqueue(...replies: FakeAnthropicReply[]): void;
  /** Forgets requests and scripted replies. */
  reset(): void;
  close(): Promise<void>;
}

export const FAKE_REQUEST_ID = 'req_fake_0001';

/** Starts the server on an ephemeral port of 127.0.0.1. */
export async function startFakeAnthropic(handler?: FakeAnthropicHandler): Promise<FakeAnthropic> {
  const queue: FakeAnthropicReply[] = [];
  const requests: FakeAnthropicRequest[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      try {
        res.destroy();
      } catch {
        // already gone
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: FakeAnthropicRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: { ...req.headers },
      body,
    };
    requests.push(request);
    counter++;
    const reply =
      queue.shift() ?? (handler ? await handler(request) : undefined) ?? defaultReply(request);
    await send(reply, res, counter);
  }

  async function send(reply: FakeAnthropicReply, res: ServerResponse, n: number): Promise<void> {
    const common = { 'request-id': `${FAKE_REQUEST_ID}_${n}` };
    switch (reply.kind) {
      case 'json': {
        if (reply.firstByteGate) await reply.firstByteGate.catch(() => undefined);
        const text = JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...common,
          ...reply.headers,
        });
        if (reply.truncateAfterBytes !== undefined) {
          const part = Buffer.from(text).subarray(0, reply.truncateAfterBytes);
          await new Promise<void>((resolve) => res.write(part, () => resolve()));
          res.socket?.destroy();
          return;
        }
        res.end(text);
        return;
      }
      case 'error': {
        const text =
          reply.type === undefined
            ? (reply.message ?? 'upstream failure')
            : JSON.stringify(apiErrorBody(reply.type, reply.message ?? reply.type));
        res.writeHead(reply.status, {
          'content-type': reply.type === undefined ? 'text/plain' : 'application/json',
          'content-length': Buffer.byteLength(text),
          // Tests script retries explicitly; never let the SDK wait on its backoff.
          'retry-after-ms': '1',
          ...common,
          ...reply.headers,
        });
        res.end(text);
        return;
      }
      case 'reset':
        res.socket?.destroy();
        return;
      case 'hang':
        return;
      case 'sse': {
        if (reply.firstByteGate) await reply.firstByteGate.catch(() => undefined);
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          ...common,
          ...reply.headers,
        });
        let written = 0;
        for (const ev of reply.events) {
          if (reply.resetAfter !== undefined && written >= reply.resetAfter) {
            // Let the written events reach the client before the reset.
            await new Promise<void>((resolve) => res.write('', () => resolve()));
            res.socket?.destroy();
            return;
          }
          res.write(`event: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`);
          written++;
        }
        res.end();
        return;
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      counter = 0;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function defaultReply(req: FakeAnthropicRequest): FakeAnthropicReply {
  const model = typeof req.body?.model === 'string' ? req.body.model : 'claude-test';
  if (req.path.endsWith('/count_tokens')) return { kind: 'json', body: { input_tokens: 12 } };
  if (req.path.endsWith('/complete')) {
    if (req.body?.stream) return sseCompletion({ model, text: ['Hello', ' there'] });
    return {
      kind: 'json',
      body: {
        type: 'completion',
        id: 'compl_fake',
        completion: 'Hello there',
        stop_reason: 'stop_sequence',
        model,
      },
    };
  }
  if (req.body?.stream) return sseText({ model, text: ['Hello', ' there'] });
  return { kind: 'json', body: messageBody({ model }) };
}

// ---------------------------------------------------------------------------------------------
// Builders for the API's shapes.

export interface UsageShape {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  [k: string]: unknown;
}

export function apiErrorBody(type: string, message: string): unknown {
  return { type: 'error', error: { type, message } };
}

export function messageBody(
  o: {
    id?: string;
    model?: string;
    content?: unknown[];
    stop_reason?: string | null;
    stop_sequence?: string | null;
    usage?: UsageShape;
  } = {},
): Record<string, unknown> {
  return {
    id: o.id ?? 'msg_fake_01',
    type: 'message',
    role: 'assistant',
    model: o.model ?? 'claude-test',
    content: o.content ?? [{ type: 'text', text: 'Hello there' }],
    stop_reason: o.stop_reason === undefined ? 'end_turn' : o.stop_reason,
    stop_sequence: o.stop_sequence ?? null,
    usage: {
      input_tokens: 10,
      output_tokens: 5,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      ...o.usage,
    },
  };
}

/** A streamed Message made of content blocks (text, tool_use, thinking), as the API sends it. */
export function sseMessage(o: {
  id?: string;
  model?: string;
  blocks: Array<
    | { type: 'text'; text: string[] }
    | { type: 'tool_use'; id: string; name: string; json: string[] }
    | { type: 'thinking'; thinking: string[]; signature?: string }
  >;
  stop_reason?: string;
  usage?: UsageShape;
  /** Usage of `message_delta` (output tokens final count and any totals). */
  finalUsage?: UsageShape;
  /** Leave out `message_delta`/`message_stop` (the stream just ends). */
  truncate?: boolean;
  /** Put an `error` event after the content blocks. */
  errorEvent?: { type: string; message: string };
}): FakeAnthropicReply {
  const events: SseEvent[] = [];
  events.push({
    event: 'message_start',
    data: {
      type: 'message_start',
      message: {
        id: o.id ?? 'msg_fake_stream',
        type: 'message',
        role: 'assistant',
        model: o.model ?? 'claude-test',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 10,
          output_tokens: 1,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          ...o.usage,
        },
      },
    },
  });
  events.push({ event: 'ping', data: { type: 'ping' } });
  o.blocks.forEach((b, index) => {
    if (b.type === 'text') {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      });
      for (const t of b.text)
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } },
        });
    } else if (b.type === 'tool_use') {
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} },
        },
      });
      for (const j of b.json)
        events.push({
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: j },
          },
        });
    } else {
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        },
      });
      for (const t of b.thinking)
        events.push({
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index,
            delta: { type: 'thinking_delta', thinking: t },
          },
        });
      events.push({
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index,
          delta: { type: 'signature_delta', signature: b.signature ?? 'sig_fake' },
        },
      });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  if (o.errorEvent) {
    events.push({ event: 'error', data: apiErrorBody(o.errorEvent.type, o.errorEvent.message) });
  }
  if (!o.truncate) {
    events.push({
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: o.stop_reason ?? 'end_turn', stop_sequence: null },
        usage: { output_tokens: 7, ...o.finalUsage },
      },
    });
    events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  }
  return { kind: 'sse', events };
}

export function sseText(o: {
  model?: string;
  text: string[];
  usage?: UsageShape;
  finalUsage?: UsageShape;
}): FakeAnthropicReply {
  return sseMessage({
    model: o.model,
    blocks: [{ type: 'text', text: o.text }],
    usage: o.usage,
    finalUsage: o.finalUsage,
  });
}

/** A streamed legacy text completion (`/v1/complete`). */
export function sseCompletion(o: { model?: string; text: string[] }): FakeAnthropicReply {
  const events: SseEvent[] = o.text.map((t, i) => ({
    event: 'completion',
    data: {
      type: 'completion',
      id: 'compl_fake_stream',
      completion: t,
      stop_reason: i === o.text.length - 1 ? 'stop_sequence' : null,
      model: o.model ?? 'claude-test',
    },
  }));
  return { kind: 'sse', events };
}
