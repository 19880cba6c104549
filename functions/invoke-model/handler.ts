import { createDynamoBudgetGuard } from '../adapters/dynamodb-budget-store.js';
import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { createStepAuditTrail } from '../config/adapters.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { s3Client } from '../config/clients/s3.js';
import { createInvokeDeps, resolveOpenAiApiKey } from '../config/model-wiring.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { pipelineStep, publishMetric, stepLog } from '../pipeline/step.js';
import { compressTimeoutMs } from '../pipeline/time-scale.js';
import { runModelStep } from './model-step.js';

const config = loadConfig();
requireSettings(config, ['processed', 'results', 'state', 'ledger', 'audit']);
const dynamo = dynamoClient(config);
const s3 = s3Client(config);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);

const deps = {
  blobs: createS3BlobStore(s3),
  buckets: config.buckets,
  ledger: createDynamoLedger(dynamo, config.tables.ledger),
  budget: createDynamoBudgetGuard(dynamo, config.tables.state, publisher, config.timeScale),
  onBudgetExceeded: (tier: string) => publishMetric('BudgetExceeded', 'Count', 1, { tier }),
  invoke: createInvokeDeps({
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
  }),
};

/** Time kept back from the Lambda timeout to write the result and give back the budget. */
const DEADLINE_MARGIN_MS = 10_000;
/** Without a Lambda context (the local runner), the Lambda's own 150 s. */
const LOCAL_STEP_BUDGET_MS = 150_000;

/** Calls the model for the item; outages park it (the state machine retries `ModelUnavailable`). */
export const handler = pipelineStep(
  'InvokeModel',
  (state, context) =>
    runModelStep(deps, state, {
      deadlineMs:
        Date.now() + (context?.getRemainingTimeInMillis() ?? LOCAL_STEP_BUDGET_MS) - DEADLINE_MARGIN_MS,
      attemptTimeoutMs: compressTimeoutMs(config.openai.timeoutMs, config.timeScale),
    }),
  { audit: await createStepAuditTrail(config, { dynamo, s3 }) },
);
