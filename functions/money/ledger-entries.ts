/**
 * The ledger items of one model step: the model call (or the cache hit that replaced it, at zero model
 * cost, so finance sees what the cache saved) and, for tasks that transcribe first, the speech-to-text
 * call. Ids are deterministic (execution + step + attempt identity): a retry writes nothing new.
 */
import type { PipelineState } from '../pipeline/document.js';
import type { LedgerEntry } from '../ports.js';
import { PRICE_TABLE_VERSION, priceModelUsage } from './prices.js';

export function modelLedgerEntries(state: PipelineState, createdAt: string): LedgerEntry[] {
  const { model, processed } = state;
  // A cache hit has no processed section: it was answered before Preprocess.
  if (!model || (!processed && !model.cached))
    throw new Error('the model ledger entries need the InvokeModel section');
  const common = {
    tenant: state.tenant,
    task: `${model.taskId}@${model.taskVersion}`,
    executionId: state.executionId,
    objectKeyHash: state.objectKeyHash,
    ...(state.traceId ? { traceId: state.traceId } : {}),
    createdAt,
  };
  const entries: LedgerEntry[] = [];
  if (model.modelCallBilled !== false) {
    const priced = priceModelUsage({
      model: model.model,
      usage: model.usage,
      imageTokens: processed?.imageTokens?.after,
    });
    // An answer without usage is charged its pre-flight estimate, which never falls short of the bill.
    const fromEstimate = model.costSource === 'estimate' && !model.cached;
    const attemptIdentity = model.cached ? 'cache' : (model.requestIds.at(-1) ?? 'no-request-id');
    entries.push({
      ...common,
      id: `${state.executionId}#InvokeModel#${attemptIdentity}`,
      kind: model.cached ? 'cache_hit' : 'model_call',
      model: model.model,
      route: model.route,
      priceTableVersion: priced.priceTableVersion,
      tokens: priced.tokens,
      costMicroUsd: model.cached ? 0 : fromEstimate ? model.estimateMicroUsd : priced.costMicroUsd,
      costSource: fromEstimate ? 'estimate' : 'usage',
      estimateMicroUsd: model.estimateMicroUsd,
      requestIds: model.requestIds,
    });
  }
  const stt = model.transcription;
  if (stt && !model.cached) {
    const sttPriced = priceModelUsage({ model: stt.model, usage: stt.usage });
    entries.push({
      ...common,
      id: `${state.executionId}#InvokeModel#transcription#${stt.requestIds.at(-1) ?? 'no-request-id'}`,
      kind: 'transcription',
      model: stt.model,
      route: stt.route,
      priceTableVersion: sttPriced.priceTableVersion,
      tokens: sttPriced.tokens,
      costMicroUsd: stt.costSource === 'estimate' ? stt.estimateMicroUsd : sttPriced.costMicroUsd,
      costSource: stt.costSource === 'estimate' ? 'estimate' : 'usage',
      estimateMicroUsd: stt.estimateMicroUsd,
      requestIds: stt.requestIds,
    });
  }
  return entries;
}

/**
 * An attempt whose outcome is unknown: no charge (nothing confirms the provider did the work), but its
 * estimate is kept as exposure, so finance and `mediagate reconcile` can explain a bill that includes it.
 */
export function unconfirmedAttemptEntry(
  state: Pick<PipelineState, 'tenant' | 'task' | 'executionId' | 'objectKeyHash' | 'traceId'>,
  attempt: {
    readonly route: string;
    readonly model: string;
    readonly requestId: string | null;
    readonly attemptId: string;
    readonly exposureMicroUsd: number;
  },
  createdAt: string,
): LedgerEntry {
  return {
    id: `${state.executionId}#InvokeModel#unconfirmed#${attempt.attemptId}`,
    tenant: state.tenant,
    task: state.task ?? 'unknown',
    kind: 'unconfirmed_attempt',
    model: attempt.model,
    route: attempt.route,
    priceTableVersion: PRICE_TABLE_VERSION,
    tokens: { textIn: 0, cachedIn: 0, imageIn: 0, audioIn: 0, textOut: 0, audioOut: 0 },
    costMicroUsd: 0,
    exposureMicroUsd: attempt.exposureMicroUsd,
    estimateMicroUsd: attempt.exposureMicroUsd,
    requestIds: attempt.requestId ? [attempt.requestId] : [],
    executionId: state.executionId,
    objectKeyHash: state.objectKeyHash,
    ...(state.traceId ? { traceId: state.traceId } : {}),
    createdAt,
  };
}
