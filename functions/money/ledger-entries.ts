/**
 * The ledger items of one model step: the model call (or the cache hit that replaced it, at zero model
 * cost, so finance sees what the cache saved) and, for tasks that transcribe first, the speech-to-text
 * call. Ids are deterministic (execution + step + attempt identity): a retry writes nothing new.
 */
import type { PipelineState } from '../pipeline/document.js';
import type { LedgerEntry } from '../ports.js';
import { priceModelUsage } from './prices.js';

export function modelLedgerEntries(state: PipelineState, createdAt: string): LedgerEntry[] {
  const { model, processed } = state;
  if (!model || !processed) throw new Error('the model ledger entries need the InvokeModel section');
  const common = {
    tenant: state.tenant,
    task: `${model.taskId}@${model.taskVersion}`,
    executionId: state.executionId,
    objectKeyHash: state.objectKeyHash,
    createdAt,
  };
  const entries: LedgerEntry[] = [];
  if (model.modelCallBilled !== false) {
    const priced = priceModelUsage({
      model: model.model,
      usage: model.usage,
      imageTokens: processed.imageTokens?.after,
    });
    const attemptIdentity = model.cached ? 'cache' : (model.requestIds.at(-1) ?? 'no-request-id');
    entries.push({
      ...common,
      id: `${state.executionId}#InvokeModel#${attemptIdentity}`,
      kind: model.cached ? 'cache_hit' : 'model_call',
      model: model.model,
      route: model.route,
      priceTableVersion: priced.priceTableVersion,
      tokens: priced.tokens,
      costMicroUsd: model.cached ? 0 : priced.costMicroUsd,
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
      costMicroUsd: sttPriced.costMicroUsd,
      estimateMicroUsd: stt.estimateMicroUsd,
      requestIds: stt.requestIds,
    });
  }
  return entries;
}
