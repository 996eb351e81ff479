// Every workload family with its rows and workloads. Nothing here imports a framework:
// the worker applies the row's instrumentation first, then loads the workload module.
import { langchainRows } from './rows/langchain.mjs';
import { anthropicRows, llamaindexRows } from './rows/others.mjs';

const lazy = (path, key) => async (spec, rowState) =>
  (await import(path)).create[key](spec, rowState);

export const families = {
  langchain: {
    title: 'LangChain',
    rows: langchainRows,
    rowOrder: [
      'uninstrumented',
      'noop-callback',
      'noop-callback-context',
      'ours',
      'ours-content',
      'ours-unrecorded',
      'openinference',
      'traceloop',
    ],
    // The extra content-capture and decomposition rows are left out of the (long) heap phase.
    heapRows: ['uninstrumented', 'noop-callback', 'ours', 'openinference', 'traceloop'],
    baseline: 'uninstrumented',
    floor: 'noop-callback',
    workloads: {
      'lc-chat': {
        title: 'single chat call',
        create: lazy('./workloads/langchain.mjs', 'lc-chat'),
        iters: 1000,
        warmup: 300,
      },
      'lc-pipe': {
        title: 'prompt -> model -> parser',
        create: lazy('./workloads/langchain.mjs', 'lc-pipe'),
        iters: 700,
        warmup: 300,
      },
      'lc-rag': {
        title: 'RAG chain (retriever, prompt, model, parser)',
        create: lazy('./workloads/langchain.mjs', 'lc-rag'),
        iters: 400,
        warmup: 200,
      },
      'lc-rag-200': {
        title: '200 concurrent RAG chains',
        create: lazy('./workloads/langchain.mjs', 'lc-rag-200'),
        iters: 400,
        warmup: 200,
      },
    },
    settle: async () => (await import('./workloads/langchain.mjs')).settle(),
  },
  llamaindex: {
    title: 'LlamaIndex',
    rows: llamaindexRows,
    rowOrder: ['uninstrumented', 'ours'],
    baseline: 'uninstrumented',
    workloads: {
      'li-query': {
        title: 'query engine (retrieve + synthesize)',
        create: lazy('./workloads/llamaindex.mjs', 'li-query'),
        iters: 400,
        warmup: 200,
      },
    },
  },
  anthropic: {
    title: 'Anthropic',
    rows: anthropicRows,
    rowOrder: ['uninstrumented', 'sdk-builtin', 'ours'],
    baseline: 'uninstrumented',
    needsAnthropicServer: true,
    workloads: {
      'an-messages': {
        title: 'messages.create against a local fake API',
        create: lazy('./workloads/anthropic.mjs', 'an-messages'),
        iters: 400,
        warmup: 200,
      },
    },
  },
};
