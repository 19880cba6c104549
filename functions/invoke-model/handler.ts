import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createDynamoDbResultCache } from '../adapters/dynamodb-result-cache.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { createTenantBlobStores } from '../config/adapters.js';
import { dynamoClient, tenantDynamoClients } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { createInvokeDeps, resolveOpenAiApiKey } from '../config/model-wiring.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenancy } from '../config/tenancy.js';
import { metrics, pipelineStep, stepLog } from '../pipeline/step.js';
import { compressTimeoutMs } from '../pipeline/time-scale.js';
import { runModelStep } from './model-step.js';

const config = loadConfig();
requireSettings(config, ['processed', 'results', 'state', 'ledger']);
// The shared breaker (organisation-wide items) on the function's own role.
const dynamo = dynamoClient(config);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);

/** A metric with its own dimensions, published at once (the step's metrics carry only `step`). */
function countMetric(name: string, dimensions: Record<string, string>): void {
  const metric = metrics.singleMetric();
  for (const [key, value] of Object.entries(dimensions)) metric.addDimension(key, value);
  metric.addMetric(name, MetricUnit.Count, 1);
}

const invoke = createInvokeDeps({
  apiKey: await resolveOpenAiApiKey(config),
  timeoutMs: config.openai.timeoutMs,
  endpoints: config.openai.endpoints,
  dynamo,
  stateTable: config.tables.state,
  retryPolicy: config.openai.retryPolicy,
  breakerPolicy: config.openai.breakerPolicy,
  publisher,
  onBreakerTransition: (transition) =>
    countMetric('BreakerTransition', { route: transition.route, to: transition.to }),
  log: (message, fields) => stepLog.info(message, fields),
  timeScale: config.timeScale,
});

// The item's tenant's objects, ledger, budget and result-cache items, in a session scoped to that tenant.
const blobsFor = await createTenantBlobStores(config);
const dynamoFor = tenantDynamoClients(config);
// The tenant's registry record, rate bucket and budget, in the same session.
const tenancyFor = perTenant((tenant) => createTenancy(config, dynamoFor(tenant), publisher));
const depsFor = perTenant((tenant) => ({
  blobs: blobsFor(tenant),
  buckets: config.buckets,
  ledger: createDynamoLedger(dynamoFor(tenant), config.tables.ledger),
  budget: tenancyFor(tenant).budget,
  admission: {
    tenants: tenancyFor(tenant).tenants,
    buckets: tenancyFor(tenant).buckets,
    timeScale: config.timeScale,
  },
  onBudgetExceeded: (tier: string) => countMetric('BudgetExceeded', { tier }),
  invoke: { ...invoke, cache: createDynamoDbResultCache(dynamoFor(tenant), config.tables.state) },
}));

/** Time kept back from the Lambda timeout to write the result and give back the budget. */
const DEADLINE_MARGIN_MS = 10_000;
/** Without a Lambda context (the local runner), the Lambda's own 150 s. */
const LOCAL_STEP_BUDGET_MS = 150_000;

/** Calls the model for the item; outages park it (the state machine retries `ModelUnavailable`). */
export const handler = pipelineStep('InvokeModel', (state, context) =>
  runModelStep(depsFor(state.tenant), state, {
    deadlineMs:
      Date.now() + (context?.getRemainingTimeInMillis() ?? LOCAL_STEP_BUDGET_MS) - DEADLINE_MARGIN_MS,
    attemptTimeoutMs: compressTimeoutMs(config.openai.timeoutMs, config.timeScale),
  }),
);
