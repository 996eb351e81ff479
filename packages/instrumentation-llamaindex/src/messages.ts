import {
  type InputMessage,
  type MessagePart,
  mediaPart,
  type OutputMessage,
  type RetrievedDocument,
  type ToolDefinition,
} from '@genai-otel/core';

/** Bounds on what we convert (the content policy truncates the serialised text again). */
const MAX_MESSAGES = 200;
const MAX_PARTS = 100;
const MAX_DOCUMENTS = 100;
const MAX_TOOLS = 128;

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' ? (v as Rec) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** LlamaIndex `MessageContent` (a string or content details) as message parts. */
export function contentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) {
    return content === undefined || content === null
      ? []
      : [{ type: 'text', content: String(content) }];
  }
  const parts: MessagePart[] = [];
  for (const item of content.slice(0, MAX_PARTS)) {
    const d = rec(item);
    if (!d) continue;
    switch (d.type) {
      case 'text':
        parts.push({ type: 'text', content: String(d.text ?? '') });
        break;
      case 'image_url':
        parts.push(mediaPart({ modality: 'image', url: rec(d.image_url)?.url }));
        break;
      case 'image':
      case 'audio':
      case 'video':
      case 'file':
        parts.push(
          mediaPart({
            modality: d.type === 'file' ? 'document' : String(d.type),
            url: d.url,
            data: d.data,
            fileId: d.fileId,
            mimeType: d.mimeType,
          }),
        );
        break;
      default:
        parts.push({ type: String(d.type ?? 'unknown') });
    }
  }
  return parts;
}

function toolCallParts(options: Rec | undefined): MessagePart[] {
  const calls = options?.toolCall;
  if (!Array.isArray(calls)) return [];
  return calls.slice(0, MAX_PARTS).map((c) => {
    const call = rec(c) ?? {};
    return {
      type: 'tool_call',
      id: str(call.id) ?? null,
      name: String(call.name ?? ''),
      arguments: call.input,
    };
  });
}

/** LlamaIndex `ChatMessage[]` as the conventions' input messages. */
export function toInputMessages(messages: unknown): InputMessage[] {
  if (!Array.isArray(messages)) return [];
  return messages.slice(-MAX_MESSAGES).map((m) => {
    const msg = rec(m) ?? {};
    const options = rec(msg.options);
    const toolResult = rec(options?.toolResult);
    if (toolResult) {
      return {
        role: 'tool',
        parts: [
          {
            type: 'tool_call_response',
            id: str(toolResult.id) ?? null,
            response: toolResult.result,
          },
        ],
      };
    }
    return {
      role: String(msg.role ?? 'user'),
      parts: [...contentParts(msg.content).filter(nonEmptyText), ...toolCallParts(options)],
    };
  });
}

function nonEmptyText(p: MessagePart): boolean {
  return !(p.type === 'text' && (p as { content: string }).content === '');
}

/** A `ChatMessage` produced by the model as an output message. */
export function toOutputMessage(message: unknown, finishReason: string): OutputMessage {
  const msg = rec(message) ?? {};
  const parts = [
    ...contentParts(msg.content).filter(nonEmptyText),
    ...toolCallParts(rec(msg.options)),
  ];
  return { role: String(msg.role ?? 'assistant'), parts, finish_reason: finishReason };
}

/** Tools passed to an LLM call (`BaseTool[]`, metadata only). */
export function toToolDefinitions(tools: unknown): ToolDefinition[] {
  if (!Array.isArray(tools)) return [];
  const out: ToolDefinition[] = [];
  for (const t of tools.slice(0, MAX_TOOLS)) {
    const md = rec(rec(t)?.metadata);
    if (!md) continue;
    out.push({
      type: 'function',
      name: String(md.name ?? ''),
      description: str(md.description),
      parameters: md.parameters,
    });
  }
  return out;
}

/** `NodeWithScore[]` as retrieved documents (content only used when capture is on). */
export function toDocuments(nodes: unknown): RetrievedDocument[] | undefined {
  if (!Array.isArray(nodes)) return undefined;
  return nodes.slice(0, MAX_DOCUMENTS).map((n) => {
    const nws = rec(n) ?? {};
    const node = rec(nws.node) ?? nws;
    const doc: RetrievedDocument = {};
    const id = node.id_ ?? node.id;
    if (typeof id === 'string' || typeof id === 'number') doc.id = String(id);
    if (typeof nws.score === 'number' && Number.isFinite(nws.score)) doc.score = nws.score;
    const text = textOf(node);
    if (text !== undefined) doc.content = text;
    const metadata = rec(node.metadata);
    if (metadata) doc.metadata = metadata;
    return doc;
  });
}

function textOf(node: Rec): string | undefined {
  if (typeof node.text === 'string') return node.text;
  try {
    if (typeof node.getContent === 'function') {
      const t = (node.getContent as (mode?: string) => unknown).call(node, 'none');
      return typeof t === 'string' ? t : undefined;
    }
  } catch {
    // some node types cannot render themselves
  }
  return undefined;
}

/** Query text from a string, a `QueryBundle`, or `{ query }` (with `MessageContent`). */
export function queryText(q: unknown): string | undefined {
  if (typeof q === 'string') return q;
  const r = rec(q);
  if (!r) return undefined;
  const inner = r.query ?? r.message ?? r.queryStr;
  if (typeof inner === 'string') return inner;
  if (Array.isArray(inner)) {
    return contentParts(inner)
      .map((p) => (p.type === 'text' ? (p as { content: string }).content : ''))
      .join('');
  }
  if (inner && typeof inner === 'object') return queryText(inner);
  return undefined;
}

/** The text of a query/chat engine response (`EngineResponse`, `Response`, strings). */
export function responseText(r: unknown): string | undefined {
  if (typeof r === 'string') return r;
  const o = rec(r);
  if (!o) return undefined;
  if (typeof o.response === 'string') return o.response;
  if (typeof o.text === 'string') return o.text;
  const message = rec(o.message);
  if (message) {
    const parts = contentParts(message.content);
    return parts.map((p) => (p.type === 'text' ? (p as { content: string }).content : '')).join('');
  }
  return undefined;
}
