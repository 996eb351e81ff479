/**
 * A real OTLP/HTTP receiver on 127.0.0.1 for tests: it decodes what arrives (protobuf with a
 * small wire-format decoder for the fields we check, or OTLP/JSON), keeps the spans and
 * metric names, and can play a backend that is down, slow, hanging or failing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState: string;
  name: string;
  /** OTLP span kind (1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  resource: Record<string, unknown>;
}

export interface ReceivedLogRecord {
  eventName: string;
  /** Hex, empty when the record is not in a span context. */
  traceId: string;
  spanId: string;
  timeUnixNano: bigint;
  severityNumber: number;
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
}

export interface ReceivedRequest {
  path: string;
  contentType: string;
  encoding: 'protobuf' | 'json' | 'unknown';
  bytes: number;
  items: number;
  headers: Record<string, string | string[] | undefined>;
}

/** How the receiver answers. */
export type ReceiverBehaviour =
  | { kind: 'ok' }
  /** Answer after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** Never answer (the connection stays open until the receiver closes). */
  | { kind: 'hang' }
  /** Answer with an HTTP error (503 and 429 are retryable for OTLP exporters). */
  | { kind: 'error'; status: number };

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>` (append `/v1/traces` for a traces URL). */
  readonly url: string;
  readonly port: number;
  readonly spans: ReceivedSpan[];
  readonly metrics: ReceivedMetric[];
  readonly logs: ReceivedLogRecord[];
  readonly requests: ReceivedRequest[];
  /** Every HTTP request that arrived, whatever the behaviour (hung and failed ones too). */
  readonly attempts: number;
  setBehaviour(behaviour: ReceiverBehaviour): void;
  /** Resolves once at least `count` spans arrived (rejects after `timeoutMs`, default 10 s). */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolves once a metric with this name arrived. */
  waitForMetric(name: string, timeoutMs?: number): Promise<ReceivedMetric>;
  /** Resolves once at least `count` log records arrived. */
  waitForLogs(count: number, timeoutMs?: number): Promise<ReceivedLogRecord[]>;
  reset(): void;
  close(): Promise<void>;
}

export async function startOtlpReceiver(
  options: { behaviour?: ReceiverBehaviour; port?: number } = {},
): Promise<OtlpReceiver> {
  let behaviour: ReceiverBehaviour = options.behaviour ?? { kind: 'ok' };
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const logs: ReceivedLogRecord[] = [];
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let attempts = 0;
  const hanging = new Set<ServerResponse>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    attempts++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const contentType = String(req.headers['content-type'] ?? '');
    const path = (req.url ?? '/').split('?')[0]!;
    const current = behaviour;
    if (current.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (current.kind === 'slow') await new Promise((r) => setTimeout(r, current.delayMs));
    if (current.kind === 'error') {
      requests.push({
        path,
        contentType,
        encoding: 'unknown',
        bytes: body.length,
        items: 0,
        headers: { ...req.headers },
      });
      res.writeHead(current.status, { 'content-type': 'text/plain' }).end('simulated failure');
      return;
    }
    const request: ReceivedRequest = {
      path,
      contentType,
      encoding: 'unknown',
      bytes: body.length,
      items: 0,
      headers: { ...req.headers },
    };
    try {
      if (String(req.headers['content-encoding'] ?? '').includes('gzip')) body = gunzipSync(body);
      if (contentType.includes('json')) {
        request.encoding = 'json';
        const json = JSON.parse(body.toString('utf8') || '{}');
        if (path.endsWith('/v1/traces')) request.items = pushAll(spans, spansFromJson(json));
        else if (path.endsWith('/v1/metrics'))
          request.items = pushAll(metrics, metricsFromJson(json));
        else if (path.endsWith('/v1/logs')) request.items = pushAll(logs, logsFromJson(json));
      } else if (contentType.includes('protobuf')) {
        request.encoding = 'protobuf';
        if (path.endsWith('/v1/traces')) request.items = pushAll(spans, spansFromProtobuf(body));
        else if (path.endsWith('/v1/metrics'))
          request.items = pushAll(metrics, metricsFromProtobuf(body));
        else if (path.endsWith('/v1/logs')) request.items = pushAll(logs, logsFromProtobuf(body));
      }
    } catch (err) {
      requests.push(request);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${String(err)}`);
      return;
    }
    requests.push(request);
    if (request.encoding === 'json')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    notify();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const done = check();
      if (done !== undefined) return resolve(done);
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`OTLP receiver: timed out waiting for ${what}`));
      }, timeoutMs);
      const waiter = () => {
        const v = check();
        if (v === undefined) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(v);
      };
      waiters.add(waiter);
    });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    spans,
    metrics,
    logs,
    requests,
    get attempts() {
      return attempts;
    },
    setBehaviour(b) {
      behaviour = b;
    },
    waitForSpans(count, timeoutMs = 10_000) {
      return waitFor(
        () => (spans.length >= count ? spans : undefined),
        timeoutMs,
        `${count} spans`,
      );
    },
    waitForMetric(name, timeoutMs = 10_000) {
      return waitFor(() => metrics.find((m) => m.name === name), timeoutMs, `metric ${name}`);
    },
    waitForLogs(count, timeoutMs = 10_000) {
      return waitFor(
        () => (logs.length >= count ? logs : undefined),
        timeoutMs,
        `${count} log records`,
      );
    },
    reset() {
      spans.length = 0;
      metrics.length = 0;
      logs.length = 0;
      requests.length = 0;
      attempts = 0;
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port with nothing listening on it (for "backend down" tests). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function pushAll<T>(target: T[], items: T[]): number {
  for (const item of items) target.push(item);
  return items.length;
}

// --- OTLP/JSON --------------------------------------------------------------------------

function jsonValue(v: any): unknown {
  if (!v || typeof v !== 'object') return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (v.arrayValue?.values ?? []).map(jsonValue);
  if ('kvlistValue' in v) return jsonAttributes(v.kvlistValue?.values);
  if ('bytesValue' in v) return v.bytesValue;
  return undefined;
}

function jsonAttributes(list: any[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = jsonValue(kv.value);
  return out;
}

/** OTLP/JSON ids are hex strings (base64 is accepted too, as some senders use it). */
function jsonId(id: unknown): string {
  if (typeof id !== 'string' || id === '') return '';
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

type Scope = { name: string; version: string };

/**
 * The items of an OTLP/JSON export request, with their resource and scope: every signal nests
 * them the same way (`resourceSpans[].scopeSpans[].spans[]`, and likewise for metrics, logs).
 */
function jsonScopedItems<T>(
  list: any[] | undefined,
  scopesKey: string,
  itemsKey: string,
  item: (raw: any, resource: Record<string, unknown>, scope: Scope) => T,
): T[] {
  const out: T[] = [];
  for (const r of list ?? []) {
    const resource = jsonAttributes(r.resource?.attributes);
    for (const sc of r[scopesKey] ?? []) {
      const scope = { name: sc.scope?.name ?? '', version: sc.scope?.version ?? '' };
      for (const raw of sc[itemsKey] ?? []) out.push(item(raw, resource, scope));
    }
  }
  return out;
}

export function spansFromJson(json: any): ReceivedSpan[] {
  return jsonScopedItems(json?.resourceSpans, 'scopeSpans', 'spans', (s, resource, scope) => {
    const parent = jsonId(s.parentSpanId);
    return {
      traceId: jsonId(s.traceId),
      spanId: jsonId(s.spanId),
      parentSpanId: parent || undefined,
      traceState: s.traceState ?? '',
      name: s.name ?? '',
      kind: Number(s.kind ?? 0),
      startTimeUnixNano: BigInt(s.startTimeUnixNano ?? 0),
      endTimeUnixNano: BigInt(s.endTimeUnixNano ?? 0),
      attributes: jsonAttributes(s.attributes),
      events: (s.events ?? []).map((e: any) => ({
        name: e.name ?? '',
        attributes: jsonAttributes(e.attributes),
      })),
      status: { code: Number(s.status?.code ?? 0), message: s.status?.message ?? '' },
      resource,
      scope,
    };
  });
}

function metricsFromJson(json: any): ReceivedMetric[] {
  return jsonScopedItems(json?.resourceMetrics, 'scopeMetrics', 'metrics', (m, resource) => ({
    name: m.name,
    unit: m.unit ?? '',
    resource,
  }));
}

export function logsFromJson(json: any): ReceivedLogRecord[] {
  return jsonScopedItems(json?.resourceLogs, 'scopeLogs', 'logRecords', (r, resource, scope) => ({
    eventName: r.eventName ?? '',
    traceId: jsonId(r.traceId),
    spanId: jsonId(r.spanId),
    timeUnixNano: BigInt(r.timeUnixNano ?? 0),
    severityNumber: Number(r.severityNumber ?? 0),
    body: jsonValue(r.body),
    attributes: jsonAttributes(r.attributes),
    resource,
    scope,
  }));
}

// --- protobuf wire format -------------------------------------------------------------

type WireValue =
  | { wire: 0; value: bigint }
  | { wire: 1 | 5; bytes: Buffer }
  | { wire: 2; bytes: Buffer };

/** Decodes one message into its fields (number -> values in order). */
export function decodeMessage(buf: Buffer): Map<number, WireValue[]> {
  const fields = new Map<number, WireValue[]>();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value: WireValue;
    if (wire === 0) value = { wire: 0, value: varint() };
    else if (wire === 1) {
      value = { wire: 1, bytes: buf.subarray(pos, pos + 8) };
      pos += 8;
    } else if (wire === 5) {
      value = { wire: 5, bytes: buf.subarray(pos, pos + 4) };
      pos += 4;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated length-delimited field');
      value = { wire: 2, bytes: buf.subarray(pos, pos + len) };
      pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (pos > buf.length) throw new Error('truncated field');
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const bytesOf = (f: Map<number, WireValue[]>, n: number): Buffer[] =>
  (f.get(n) ?? []).filter((v): v is { wire: 2; bytes: Buffer } => v.wire === 2).map((v) => v.bytes);
const str = (f: Map<number, WireValue[]>, n: number): string =>
  bytesOf(f, n)[0]?.toString('utf8') ?? '';
const hex = (f: Map<number, WireValue[]>, n: number): string =>
  bytesOf(f, n)[0]?.toString('hex') ?? '';
const uint = (f: Map<number, WireValue[]>, n: number): bigint => {
  const v = f.get(n)?.[0];
  if (!v) return 0n;
  if (v.wire === 0) return v.value;
  if (v.wire === 1) return v.bytes.readBigUInt64LE(0);
  if (v.wire === 5) return BigInt(v.bytes.readUInt32LE(0));
  return 0n;
};

function anyValue(buf: Buffer): unknown {
  const f = decodeMessage(buf);
  if (f.has(1)) return str(f, 1);
  if (f.has(2)) return uint(f, 2) !== 0n;
  if (f.has(3)) return Number(BigInt.asIntN(64, uint(f, 3)));
  if (f.has(4)) return f.get(4)![0]!.wire === 1 ? (f.get(4)![0] as any).bytes.readDoubleLE(0) : 0;
  if (f.has(5)) return bytesOf(decodeMessage(bytesOf(f, 5)[0]!), 1).map(anyValue);
  if (f.has(6)) return pbAttributes(bytesOf(f, 6)[0]!, 1);
  if (f.has(7)) return bytesOf(f, 7)[0]!.toString('base64');
  return undefined;
}

/** `repeated KeyValue` at field `n` of the message in `buf`. */
function pbAttributes(buf: Buffer, n: number): Record<string, unknown> {
  return keyValues(bytesOf(decodeMessage(buf), n));
}

function keyValues(list: Buffer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kvBuf of list) {
    const kv = decodeMessage(kvBuf);
    const value = bytesOf(kv, 2)[0];
    out[str(kv, 1)] = value ? anyValue(value) : undefined;
  }
  return out;
}

type Fields = Map<number, WireValue[]>;

/**
 * The items of an OTLP protobuf export request, with their resource and scope: every signal
 * nests them the same way (request field 1: resource X; its field 1: resource, field 2: scope
 * X; that one's field 1: scope, field 2: the items).
 */
function pbScopedItems<T>(
  buf: Buffer,
  item: (fields: Fields, resource: Record<string, unknown>, scope: Scope) => T,
): T[] {
  const out: T[] = [];
  for (const rBuf of bytesOf(decodeMessage(buf), 1)) {
    const r = decodeMessage(rBuf);
    const resourceBuf = bytesOf(r, 1)[0];
    const resource = resourceBuf ? pbAttributes(resourceBuf, 1) : {};
    for (const scBuf of bytesOf(r, 2)) {
      const sc = decodeMessage(scBuf);
      const scopeBuf = bytesOf(sc, 1)[0];
      const scopeF: Fields = scopeBuf ? decodeMessage(scopeBuf) : new Map();
      const scope = { name: str(scopeF, 1), version: str(scopeF, 2) };
      for (const itemBuf of bytesOf(sc, 2)) out.push(item(decodeMessage(itemBuf), resource, scope));
    }
  }
  return out;
}

/** Decodes an `ExportTraceServiceRequest`. */
export function spansFromProtobuf(buf: Buffer): ReceivedSpan[] {
  return pbScopedItems(buf, (s, resource, scope) => {
    const statusBuf = bytesOf(s, 15)[0];
    const status: Fields = statusBuf ? decodeMessage(statusBuf) : new Map();
    const parent = hex(s, 4);
    return {
      traceId: hex(s, 1),
      spanId: hex(s, 2),
      parentSpanId: parent || undefined,
      traceState: str(s, 3),
      name: str(s, 5),
      kind: Number(uint(s, 6)),
      startTimeUnixNano: uint(s, 7),
      endTimeUnixNano: uint(s, 8),
      attributes: keyValues(bytesOf(s, 9)),
      events: bytesOf(s, 11).map((eBuf) => {
        const e = decodeMessage(eBuf);
        return { name: str(e, 2), attributes: keyValues(bytesOf(e, 3)) };
      }),
      status: { code: Number(uint(status, 3)), message: str(status, 2) },
      resource,
      scope,
    };
  });
}

/** Decodes the metric names (and units) of an `ExportMetricsServiceRequest`. */
export function metricsFromProtobuf(buf: Buffer): ReceivedMetric[] {
  return pbScopedItems(buf, (m, resource) => ({ name: str(m, 1), unit: str(m, 3), resource }));
}

/** Decodes an `ExportLogsServiceRequest`. */
export function logsFromProtobuf(buf: Buffer): ReceivedLogRecord[] {
  return pbScopedItems(buf, (r, resource, scope) => {
    const bodyBuf = bytesOf(r, 5)[0];
    return {
      eventName: str(r, 12),
      traceId: hex(r, 9),
      spanId: hex(r, 10),
      timeUnixNano: uint(r, 1),
      severityNumber: Number(uint(r, 2)),
      body: bodyBuf ? anyValue(bodyBuf) : undefined,
      attributes: keyValues(bytesOf(r, 6)),
      resource,
      scope,
    };
  });
}
