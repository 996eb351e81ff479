/**
 * OTLP over gRPC against a real gRPC server on 127.0.0.1 (grpc-js with raw-bytes codecs, the
 * payload decoded by the test-utils protobuf decoder).
 */

import {
  logsFromProtobuf,
  type ReceivedLogRecord,
  type ReceivedSpan,
  spansFromProtobuf,
} from '@genai-otel/test-utils';
import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { setupTelemetry } from '../src/index.js';
import type { TelemetryHandle } from '../src/types.js';

const raw = (b: Buffer) => b;

async function startGrpcReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  logs: ReceivedLogRecord[];
  metadata: grpc.Metadata[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const logRecords: ReceivedLogRecord[] = [];
  const metadata: grpc.Metadata[] = [];
  const server = new grpc.Server();
  /** An OTLP `Export` service taking the raw request bytes. */
  const exportService = (path: string, receive: (request: Buffer) => void) =>
    server.addService(
      {
        Export: {
          path,
          requestStream: false,
          responseStream: false,
          requestSerialize: raw,
          requestDeserialize: raw,
          responseSerialize: raw,
          responseDeserialize: raw,
        },
      },
      {
        Export: (
          call: grpc.ServerUnaryCall<Buffer, Buffer>,
          callback: grpc.sendUnaryData<Buffer>,
        ) => {
          metadata.push(call.metadata);
          receive(call.request);
          callback(null, Buffer.alloc(0));
        },
      },
    );
  exportService('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b) =>
    spans.push(...spansFromProtobuf(b)),
  );
  exportService('/opentelemetry.proto.collector.logs.v1.LogsService/Export', (b) =>
    logRecords.push(...logsFromProtobuf(b)),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    logs: logRecords,
    metadata,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

let handle: TelemetryHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});

describe('OTLP over gRPC', () => {
  it('delivers spans, parents and headers (as gRPC metadata)', async () => {
    const receiver = await startGrpcReceiver();
    try {
      handle = setupTelemetry({
        serviceName: 'grpc-svc',
        traceExporters: ['otlp'],
        otlp: { endpoint: receiver.url, protocol: 'grpc', headers: { 'x-honeycomb-team': 'k' } },
        instrumentations: { anthropic: false, langchain: false, llamaindex: false },
        esmHook: false,
      });
      const tracer = trace.getTracer('grpc-test');
      tracer.startActiveSpan('root', (root) => {
        tracer.startActiveSpan('chat m', (s) => {
          s.setAttribute('gen_ai.usage.output_tokens', 7);
          s.end();
        });
        root.end();
      });
      await handle.forceFlush();
      expect(handle.exportStats()[0]).toMatchObject({ exported: 2, droppedExportFailed: 0 });
      const root = receiver.spans.find((s) => s.name === 'root')!;
      const chat = receiver.spans.find((s) => s.name === 'chat m')!;
      expect(chat.parentSpanId).toBe(root.spanId);
      expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(7);
      expect(root.resource['service.name']).toBe('grpc-svc');
      expect(receiver.metadata[0]!.get('x-honeycomb-team')).toEqual(['k']);
    } finally {
      await receiver.close();
    }
  });

  it('delivers log records (the logs SDK is registered globally)', async () => {
    const receiver = await startGrpcReceiver();
    try {
      handle = setupTelemetry({
        serviceName: 'grpc-logs-svc',
        traceExporters: [],
        logExporters: ['otlp'],
        otlp: { endpoint: receiver.url, protocol: 'grpc' },
        instrumentations: { anthropic: false, langchain: false, llamaindex: false },
        esmHook: false,
      });
      logs.getLogger('grpc-test').emit({ eventName: 'app.event', attributes: { n: 1 } });
      await handle.forceFlush();
      const [record] = receiver.logs;
      expect(record?.eventName).toBe('app.event');
      expect(record?.attributes.n).toBe(1);
      expect(record?.resource['service.name']).toBe('grpc-logs-svc');
    } finally {
      await receiver.close();
    }
  });
});
