import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_WORKFLOW_NAME,
  ATTR_GENAI_OTEL_CANCELLED,
  ATTR_GENAI_OTEL_RETRIEVAL_DOCUMENT_COUNT,
  type GenAISpan,
  type GenAITelemetry,
  logSwallowed,
} from '@genai-otel/core';
import { type Attributes, type Context, context } from '@opentelemetry/api';
import {
  documents,
  inputMessages,
  outputMessages,
  ownerDescription,
  providerName,
  requestAttributes,
  requestDetails,
  responseDetails,
  runDisplayName,
  serializedClass,
  toolCallIdOf,
  toolDefinitions,
  toolResult,
  usageFromOutput,
} from './convert.js';
import { DeferredContext } from './deferred-context.js';
import { type RunKind, RunRegistry, type RunState } from './run-registry.js';
import type { LangChainInstrumentationConfig } from './types.js';

export const HANDLER_NAME = 'genai_otel_callback_handler';
/**
 * `genai_otel.cancelled` (core's, shared with the other instrumentations): the application
 * stopped the run (left its stream early, or aborted its signal). Not an error.
 */
export const ATTR_CANCELLED = ATTR_GENAI_OTEL_CANCELLED;
/** LangChain's run id, for correlation with LangSmith and with the user's own callbacks. */
export const ATTR_RUN_ID = 'genai_otel.langchain.run_id';
/**
 * The LangGraph control-flow exception that ended the run (`GraphInterrupt` / `NodeInterrupt`
 * from `interrupt()` awaiting human input, `ParentCommand` handing a `Command` to the parent
 * graph): the run paused or handed over, it did not fail.
 */
export const ATTR_CONTROL_FLOW = 'genai_otel.langchain.control_flow';

const HIDDEN_TAG = 'langsmith:hidden';
const GRAPH_CLASSES = new Set(['CompiledStateGraph', 'CompiledGraph', 'Pregel', 'StateGraph']);
const DEFAULT_MAX_RUNS = 10_000;
const DEFAULT_TTL_MS = 30 * 60_000;

/** What the handler needs from its instrumentation. */
export interface HandlerHost {
  readonly telemetry: GenAITelemetry;
  getConfig(): LangChainInstrumentationConfig;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

/**
 * The LangChain callback handler that turns runs into spans. One instance per instrumentation,
 * injected once into every CallbackManager LangChain configures (both copies of
 * `@langchain/core`, if an app has two). It is a plain object with LangChain's handler shape
 * (LangChain duck-types handlers), so it works with any `@langchain/core` version.
 *
 * `awaitHandlers = true`: LangChain calls it inline even when other callbacks run on the
 * background queue, so spans start and end exactly when the run does, in the caller's context.
 * Every method is synchronous (no promise per event) and never throws.
 */
export class GenAICallbackHandler {
  readonly name = HANDLER_NAME;
  readonly awaitHandlers = true;
  readonly raiseError = false;
  readonly registry: RunRegistry;

  constructor(private readonly host: HandlerHost) {
    this.registry = new RunRegistry(
      () => positive(host.getConfig().maxOpenRuns) ?? DEFAULT_MAX_RUNS,
      () => positive(host.getConfig().runTtlMs) ?? DEFAULT_TTL_MS,
    );
  }

  // ----- chains, agents, graphs -----

  handleChainStart(
    chain: unknown,
    inputs: unknown,
    runId: unknown,
    parentRunId: unknown,
    tags: unknown,
    metadata: unknown,
    _runType?: unknown,
    runName?: unknown,
  ): void {
    if (typeof runId !== 'string') return;
    try {
      const cfg = this.host.getConfig();
      const active = context.active();
      const parentRun =
        typeof parentRunId === 'string' ? this.registry.get(parentRunId) : undefined;
      const deferred =
        active instanceof DeferredContext && active.target === undefined ? active : undefined;
      const parent = parentRun?.context ?? deferred?.parentForRun ?? active;
      const md = isObj(metadata) ? metadata : undefined;
      const lcAgent = typeof md?.lc_agent_name === 'string' ? md.lc_agent_name : undefined;
      let run: RunState;
      if (!cfg.traceHiddenRuns && Array.isArray(tags) && tags.includes(HIDDEN_TAG)) {
        run = newRun(runId, parentRunId, 'chain', undefined, parent, parentRun?.agentName);
      } else {
        const name = runDisplayName(chain, runName, 'chain');
        const cls = serializedClass(chain);
        const isGraph = cls !== undefined && GRAPH_CLASSES.has(cls);
        // createAgent graphs: the graph run itself (named after the agent, or "LangGraph"
        // when unnamed) carries `ls_integration: langchain_create_agent`; its inner runs
        // inherit the metadata but are not graphs. AgentExecutor: the legacy executor run.
        const isAgent =
          (isGraph && md?.ls_integration === 'langchain_create_agent') ||
          (lcAgent !== undefined && lcAgent === name && parentRun?.agentName !== lcAgent) ||
          cls === 'AgentExecutor' ||
          name === 'AgentExecutor';
        let span: GenAISpan;
        if (isAgent) {
          span = this.host.telemetry.startSpan({
            kind: 'AGENT',
            name,
            parentContext: parent,
            within: parentRun?.span,
            details: { [ATTR_RUN_ID]: runId },
          });
          span.setAgent({ name });
        } else {
          let attributes: Attributes | undefined;
          if (parentRun === undefined && isGraph) {
            attributes = {};
            attributes[ATTR_GEN_AI_OPERATION_NAME] = 'invoke_workflow';
            attributes[ATTR_GEN_AI_WORKFLOW_NAME] = name;
          }
          span = this.host.telemetry.startSpan({
            kind: 'CHAIN',
            name,
            parentContext: parent,
            within: parentRun?.span,
            attributes,
            details: { [ATTR_RUN_ID]: runId },
          });
        }
        if (parentRun === undefined) setConversation(span, md);
        if (span.policy.enabled) span.setInput(inputs);
        run = newRun(
          runId,
          parentRunId,
          isAgent ? 'agent' : 'chain',
          span,
          span.context,
          isAgent ? name : (parentRun?.agentName ?? lcAgent),
        );
      }
      this.track(run, deferred);
    } catch (err) {
      logSwallowed('langchain handleChainStart', err);
    }
  }

  handleChainEnd(outputs: unknown, runId: unknown): void {
    const run = this.take(runId);
    if (run?.span === undefined) return;
    try {
      if (run.span.policy.enabled) run.span.setOutput(outputs);
    } catch (err) {
      logSwallowed('langchain handleChainEnd', err);
    }
    run.span.end();
  }

  handleChainError(err: unknown, runId: unknown): void {
    this.fail(runId, err);
  }

  // ----- chat models and LLMs -----

  handleChatModelStart(
    llm: unknown,
    messages: unknown,
    runId: unknown,
    parentRunId: unknown,
    extraParams?: unknown,
    _tags?: unknown,
    metadata?: unknown,
    runName?: unknown,
  ): void {
    this.startModel(llm, messages, runId, parentRunId, extraParams, metadata, runName, true);
  }

  handleLLMStart(
    llm: unknown,
    prompts: unknown,
    runId: unknown,
    parentRunId: unknown,
    extraParams?: unknown,
    _tags?: unknown,
    metadata?: unknown,
    runName?: unknown,
  ): void {
    this.startModel(llm, prompts, runId, parentRunId, extraParams, metadata, runName, false);
  }

  private startModel(
    llm: unknown,
    input: unknown,
    runId: unknown,
    parentRunId: unknown,
    extraParams: unknown,
    metadata: unknown,
    runName: unknown,
    chat: boolean,
  ): void {
    if (typeof runId !== 'string') return;
    try {
      const active = context.active();
      const parentRun =
        typeof parentRunId === 'string' ? this.registry.get(parentRunId) : undefined;
      const deferred =
        active instanceof DeferredContext && active.target === undefined ? active : undefined;
      const parent = parentRun?.context ?? deferred?.parentForRun ?? active;
      const md = isObj(metadata) ? metadata : undefined;
      const request = requestDetails(md, extraParams);
      const operation = !chat || md?.ls_model_type === 'llm' ? 'text_completion' : 'chat';
      const span = this.host.telemetry.startSpan({
        kind: 'LLM',
        operation,
        name: request.model,
        // Without a model name the span is still recognisable: `chat FakeListChatModel`.
        spanName: request.model
          ? undefined
          : `${operation} ${runDisplayName(llm, runName, '')}`.trim(),
        provider: providerName(md?.ls_provider),
        parentContext: parent,
        within: parentRun?.span,
        attributes: requestAttributes(request, {}),
        details: { [ATTR_RUN_ID]: runId },
      });
      if (parentRun === undefined) setConversation(span, md);
      if (span.policy.enabled) {
        // One run per message group / prompt: LangChain hands us `[group]` / `[prompt]`.
        const first = Array.isArray(input) ? input[0] : undefined;
        span.setInputMessages(inputMessages(chat ? first : input));
        const tools = toolDefinitions(extraParams);
        if (tools) span.setToolDefinitions(tools);
      }
      this.track(
        newRun(runId, parentRunId, 'llm', span, span.context, parentRun?.agentName),
        deferred,
      );
    } catch (err) {
      logSwallowed('langchain handleLLMStart', err);
    }
  }

  handleLLMNewToken(_token: unknown, _idx: unknown, runId: unknown): void {
    if (typeof runId !== 'string') return;
    const run = this.registry.get(runId);
    if (run === undefined) return;
    run.lastActivityMs = Date.now();
    if (!run.firstChunkSeen) this.firstChunk(run);
  }

  /**
   * LangChain 1.2+ streams a model through its event protocol instead of chunks when a handler
   * asks for it (`lc_prefer_chat_model_stream_events`, as LangGraph's `streamEvents` v3 does):
   * then every handler gets these events and no `handleLLMNewToken`. A content delta is a chunk.
   * (We do not ask for the protocol ourselves: that would change how LangChain runs models.)
   */
  handleChatModelStreamEvent(event: unknown, runId: unknown): void {
    let delta = false;
    try {
      delta = isObj(event) && event.event === 'content-block-delta';
    } catch (err) {
      logSwallowed('langchain handleChatModelStreamEvent', err); // a hostile event object
    }
    if (delta) this.handleLLMNewToken(undefined, undefined, runId);
  }

  handleLLMEnd(output: unknown, runId: unknown): void {
    const run = this.take(runId);
    if (run?.span === undefined) return;
    const span = run.span;
    try {
      const usage = usageFromOutput(output);
      if (usage) span.setUsage(usage);
      span.setResponse(responseDetails(output));
      if (span.policy.enabled) span.setOutputMessages(outputMessages(output));
    } catch (err) {
      logSwallowed('langchain handleLLMEnd', err);
    }
    span.end();
  }

  handleLLMError(err: unknown, runId: unknown): void {
    this.fail(runId, err);
  }

  // ----- tools -----

  handleToolStart(
    tool: unknown,
    input: unknown,
    runId: unknown,
    parentRunId: unknown,
    _tags?: unknown,
    metadata?: unknown,
    runName?: unknown,
    toolCallId?: unknown,
  ): void {
    if (typeof runId !== 'string') return;
    try {
      const active = context.active();
      const parentRun =
        typeof parentRunId === 'string' ? this.registry.get(parentRunId) : undefined;
      const deferred =
        active instanceof DeferredContext && active.target === undefined ? active : undefined;
      const parent = parentRun?.context ?? deferred?.parentForRun ?? active;
      const name = runDisplayName(tool, runName, 'tool');
      const span = this.host.telemetry.startSpan({
        kind: 'TOOL',
        name,
        parentContext: parent,
        within: parentRun?.span,
        details: { [ATTR_RUN_ID]: runId },
      });
      span.setTool({
        name,
        callId: typeof toolCallId === 'string' ? toolCallId : undefined,
        type: 'function',
        description: ownerDescription(deferred?.owner),
        arguments: span.policy.enabled ? input : undefined,
      });
      if (parentRun === undefined) setConversation(span, isObj(metadata) ? metadata : undefined);
      this.track(
        newRun(runId, parentRunId, 'tool', span, span.context, parentRun?.agentName),
        deferred,
      );
    } catch (err) {
      logSwallowed('langchain handleToolStart', err);
    }
  }

  handleToolEnd(output: unknown, runId: unknown): void {
    const run = this.take(runId);
    if (run?.span === undefined) return;
    const span = run.span;
    try {
      span.setTool({
        callId: toolCallIdOf(output),
        result: span.policy.enabled ? toolResult(output) : undefined,
      });
    } catch (err) {
      logSwallowed('langchain handleToolEnd', err);
    }
    span.end();
  }

  handleToolError(err: unknown, runId: unknown): void {
    this.fail(runId, err);
  }

  // ----- retrievers -----

  handleRetrieverStart(
    retriever: unknown,
    query: unknown,
    runId: unknown,
    parentRunId: unknown,
    _tags?: unknown,
    metadata?: unknown,
    name?: unknown,
  ): void {
    if (typeof runId !== 'string') return;
    try {
      const active = context.active();
      const parentRun =
        typeof parentRunId === 'string' ? this.registry.get(parentRunId) : undefined;
      const deferred =
        active instanceof DeferredContext && active.target === undefined ? active : undefined;
      const parent = parentRun?.context ?? deferred?.parentForRun ?? active;
      const span = this.host.telemetry.startSpan({
        kind: 'RETRIEVER',
        name: runDisplayName(retriever, name, 'retriever'),
        parentContext: parent,
        within: parentRun?.span,
        details: { [ATTR_RUN_ID]: runId },
      });
      if (span.policy.enabled && typeof query === 'string') span.setRetrieval({ query });
      if (parentRun === undefined) setConversation(span, isObj(metadata) ? metadata : undefined);
      this.track(
        newRun(runId, parentRunId, 'retriever', span, span.context, parentRun?.agentName),
        deferred,
      );
    } catch (err) {
      logSwallowed('langchain handleRetrieverStart', err);
    }
  }

  handleRetrieverEnd(docs: unknown, runId: unknown): void {
    const run = this.take(runId);
    if (run?.span === undefined) return;
    try {
      const list = documents(docs);
      if (list) {
        run.span.setRetrieval({ documents: list });
        run.span.setAttribute(ATTR_GENAI_OTEL_RETRIEVAL_DOCUMENT_COUNT, (docs as unknown[]).length);
      }
    } catch (err) {
      logSwallowed('langchain handleRetrieverEnd', err);
    }
    run.span.end();
  }

  handleRetrieverError(err: unknown, runId: unknown): void {
    this.fail(runId, err);
  }

  // ----- hooks used by the method patches -----

  /** The context of the run a RunnableConfig belongs to (its callback manager's parent run). */
  contextForConfig(config: unknown): Context | undefined {
    if (!isObj(config)) return undefined;
    const callbacks = config.callbacks;
    if (!isObj(callbacks) || Array.isArray(callbacks)) return undefined;
    const runId = callbacks._parentRunId;
    return typeof runId === 'string' ? this.registry.get(runId)?.context : undefined;
  }

  /** The context of an open run (its span active), by run id. */
  runContext(runId: string): Context | undefined {
    return this.registry.get(runId)?.context;
  }

  /** A model stream produced its first chunk (fallback when the model emits no tokens). */
  onStreamChunk(d: DeferredContext): void {
    const run = d.run as RunState | undefined;
    if (run !== undefined && !run.firstChunkSeen && this.registry.get(run.id) === run)
      this.firstChunk(run);
  }

  /**
   * The consumer stopped a stream early: LangChain sends no end event for the run (nor for
   * runs still open below it), so we end them, marked cancelled.
   */
  onStreamCancelled(d: DeferredContext, endMs?: number): void {
    for (const r of this.openStreamTree(d)) r.span?.cancel(endMs);
  }

  /**
   * The application dropped a stream (it was garbage collected) while runs of it were open:
   * end them, cancelled, at the latest activity seen in the stream's run tree (a parent never
   * ends before its children; no span ends at collection time, which can be much later).
   */
  onStreamDropped(d: DeferredContext): void {
    const tree = this.openStreamTree(d);
    let last = 0;
    for (const r of tree) if (r.lastActivityMs > last) last = r.lastActivityMs;
    for (const r of tree) r.span?.cancel(last);
  }

  /** Takes the stream's run and the runs open below it, if its run is still open. */
  private openStreamTree(d: DeferredContext): RunState[] {
    const run = d.run as RunState | undefined;
    if (run === undefined || this.registry.get(run.id) !== run) return [];
    return this.registry.takeTree(run.id);
  }

  // ----- internals -----

  private track(run: RunState, deferred: DeferredContext | undefined): void {
    this.registry.add(run);
    // The run claims the method's deferred context and the unclaimed ones it was opened in
    // (`stream()` around a model's `_streamIterator`: the model's run is the stream's run).
    for (let d = deferred; d !== undefined; ) {
      d.target = run.context;
      d.run = run;
      if (d.onRunReleased !== undefined) run.onReleased = d.onRunReleased;
      const outer = d.base;
      d = outer instanceof DeferredContext && outer.target === undefined ? outer : undefined;
    }
  }

  private take(runId: unknown): RunState | undefined {
    return typeof runId === 'string' ? this.registry.take(runId) : undefined;
  }

  private fail(runId: unknown, err: unknown): void {
    const run = this.take(runId);
    if (run?.span === undefined) return;
    // LangGraph reports its control flow (an interrupt, a command to the parent graph) as an
    // error of every run it unwinds: not a failure (nor a trace the tail sampler must keep).
    const flow = controlFlowOf(err);
    if (flow !== undefined) run.span.setAttribute(ATTR_CONTROL_FLOW, flow);
    // LangChain reports an aborted call (the user's signal) as an error too: a cancellation.
    else run.span.recordThrown(err);
    run.span.end();
  }

  private firstChunk(run: RunState): void {
    run.firstChunkSeen = true;
    if (run.kind !== 'llm' || run.span === undefined) return;
    run.span.markFirstChunk();
    run.span.setAttribute(ATTR_GEN_AI_REQUEST_STREAM, true);
  }
}

function newRun(
  id: string,
  parentId: unknown,
  kind: RunKind,
  span: GenAISpan | undefined,
  ctx: Context,
  agentName: string | undefined,
): RunState {
  const now = Date.now();
  return {
    id,
    parentId: typeof parentId === 'string' ? parentId : undefined,
    kind,
    span,
    context: ctx,
    startedAt: now,
    lastActivityMs: now,
    agentName,
    firstChunkSeen: false,
    onReleased: undefined,
  };
}

/**
 * The name of a LangGraph control-flow exception (its `GraphBubbleUp` classes say so with
 * `is_bubble_up`, which holds across copies and versions), else undefined.
 */
function controlFlowOf(err: unknown): string | undefined {
  try {
    if (!isObj(err) || err.is_bubble_up !== true) return undefined;
    const name = err.name;
    return typeof name === 'string' && name && name !== 'Error'
      ? name.slice(0, 64)
      : 'GraphBubbleUp';
  } catch {
    return undefined;
  }
}

/** `gen_ai.conversation.id` from the ids LangChain/LangGraph users put in the run metadata. */
function setConversation(span: GenAISpan, md: Obj | undefined): void {
  if (md === undefined) return;
  const id = md.thread_id ?? md.conversation_id ?? md.session_id;
  if (typeof id === 'string' && id) span.setConversationId(id.slice(0, 256));
}

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}
