import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createDynamoDbResultCache } from '../adapters/dynamodb-result-cache.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { createStepDecisionLog, createTenantBlobStores } from '../config/adapters.js';
import { dynamoClient, tenantDynamoClients } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { createInvokeDeps, resolveOpenAiApiKey } from '../config/model-wiring.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenancy } from '../config/tenancy.js';
import { pipelineStep, publishMetric, stepLog } from '../pipeline/step.js';
import { compressTimeoutMs } from '../pipeline/time-scale.js';
import { runModelStep } from './model-step.js';

const config = loadConfig();
requireSettings(config, ['processed', 'results', 'state', 'ledger']);
// The shared breaker (organisation-wide items) on the function's own role.
const dynamo = dynamoClient(config);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);

const invoke = createInvokeDeps({
  apiKey: await resolveOpenAiApiKey(config),
  timeoutMs: config.openai.timeoutMs,
  endpoints: config.openai.endpoints,
  dynamo,
  stateTable: config.tables.state,
  retryPolicy: config.openai.retryPolicy,
  breakerPolicy: config.openai.breakerPolicy,
  publisher,
  onBreakerTransition: (transition) => {
    publishMetric('BreakerTransition', 'Count', 1, { route: transition.route, to: transition.to });
    // 1 when a route opens, 0 when it closes again: the dashboard's breaker state per route.
    if (transition.to === 'open' || transition.to === 'closed') {
      publishMetric('BreakerOpen', 'Count', transition.to === 'open' ? 1 : 0, { Route: transition.route });
    }
  },
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
  onBudgetExceeded: (tier: string) => publishMetric('BudgetExceeded', 'Count', 1, { tier }),
  invoke: { ...invoke, cache: createDynamoDbResultCache(dynamoFor(tenant), config.tables.state) },
}));

/** Time kept back from the Lambda timeout to write the result and give back the budget. */
const DEADLINE_MARGIN_MS = 10_000;
/** Without a Lambda context (the local runner), the Lambda's own 150 s. */
const LOCAL_STEP_BUDGET_MS = 150_000;

/** Calls the model for the item; outages park it (the state machine retries `ModelUnavailable`). */
export const handler = pipelineStep(
  'InvokeModel',
  (state, context) =>
    runModelStep(depsFor(state.tenant), state, {
      deadlineMs:
        Date.now() + (context?.getRemainingTimeInMillis() ?? LOCAL_STEP_BUDGET_MS) - DEADLINE_MARGIN_MS,
      attemptTimeoutMs: compressTimeoutMs(config.openai.timeoutMs, config.timeScale),
    }),
  // The audit trail is the operator's record: decisions are queued with the function's own role (docs/audit.md).
  { audit: await createStepDecisionLog(config, { dynamo }) },
);
