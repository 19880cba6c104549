import { createDynamoLedger } from '../shared/adapters/dynamodb-ledger.js';
import { dynamoClient } from '../shared/clients.js';
import { loadConfig } from '../shared/config.js';
import { pipelineStep } from '../shared/step.js';
import { priceModelUsage } from './prices.js';

const config = loadConfig();
const ledger = createDynamoLedger(dynamoClient(config), config.tables.ledger);

/** Writes the model call into the ledger exactly once; a retried or redriven step finds it already there. */
export const handler = pipelineStep('RecordCost', async (state) => {
  if (!state.model || !state.processed) throw new Error('RecordCost needs the InvokeModel section');
  const model = state.model;
  const priced = priceModelUsage({
    model: model.model,
    usage: model.usage,
    imageTokens: state.processed.imageTokens?.after,
  });
  // A cache hit is recorded too (at zero model cost) so finance can see what the cache saved.
  const costMicroUsd = model.cached ? 0 : priced.costMicroUsd;
  const attemptIdentity = model.cached ? 'cache' : (model.requestIds.at(-1) ?? 'no-request-id');
  const entry = {
    id: `${state.executionId}#InvokeModel#${attemptIdentity}`,
    tenant: state.tenant,
    task: `${model.taskId}@${model.taskVersion}`,
    kind: model.cached ? ('cache_hit' as const) : ('model_call' as const),
    model: model.model,
    route: model.route,
    priceTableVersion: priced.priceTableVersion,
    tokens: priced.tokens,
    costMicroUsd,
    estimateMicroUsd: model.estimateMicroUsd,
    requestIds: model.requestIds,
    executionId: state.executionId,
    objectKeyHash: state.objectKeyHash,
    createdAt: new Date().toISOString(),
  };
  const { written } = await ledger.record(entry);
  return {
    ...state,
    status: 'processed',
    cost: { ledgerId: entry.id, costMicroUsd, priceTableVersion: priced.priceTableVersion, written },
  };
});
