import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { s3Client } from '../config/clients/s3.js';
import { createInvokeDeps, resolveOpenAiApiKey } from '../config/model-wiring.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenancy } from '../config/tenancy.js';
import { metrics, pipelineStep, stepLog } from '../pipeline/step.js';
import { compressTimeoutMs } from '../pipeline/time-scale.js';
import { runModelStep } from './model-step.js';

const config = loadConfig();
requireSettings(config, ['processed', 'results', 'state', 'ledger']);
const dynamo = dynamoClient(config);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);
const tenancy = createTenancy(config, dynamo, publisher);

/** A metric with its own dimensions, published at once (the step's metrics carry only `step`). */
function countMetric(name: string, dimensions: Record<string, string>): void {
  const metric = metrics.singleMetric();
  for (const [key, value] of Object.entries(dimensions)) metric.addDimension(key, value);
  metric.addMetric(name, MetricUnit.Count, 1);
}

const deps = {
  blobs: createS3BlobStore(s3Client(config)),
  buckets: config.buckets,
  ledger: createDynamoLedger(dynamo, config.tables.ledger),
  budget: tenancy.budget,
  admission: { tenants: tenancy.tenants, buckets: tenancy.buckets, timeScale: config.timeScale },
  onBudgetExceeded: (tier: string) => countMetric('BudgetExceeded', { tier }),
  invoke: createInvokeDeps({
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
  }),
};

/** Time kept back from the Lambda timeout to write the result and give back the budget. */
const DEADLINE_MARGIN_MS = 10_000;
/** Without a Lambda context (the local runner), the Lambda's own 150 s. */
const LOCAL_STEP_BUDGET_MS = 150_000;

/** Calls the model for the item; outages park it (the state machine retries `ModelUnavailable`). */
export const handler = pipelineStep('InvokeModel', (state, context) =>
  runModelStep(deps, state, {
    deadlineMs:
      Date.now() + (context?.getRemainingTimeInMillis() ?? LOCAL_STEP_BUDGET_MS) - DEADLINE_MARGIN_MS,
    attemptTimeoutMs: compressTimeoutMs(config.openai.timeoutMs, config.timeScale),
  }),
);
