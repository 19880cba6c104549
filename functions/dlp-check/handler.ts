import { createDynamoDbDlpVerdictCache } from '../adapters/dynamodb-dlp-verdict-cache.js';
import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import {
  createOcr,
  createPiiDetector,
  createStepDecisionLog,
  createTenantBlobStores,
  createTenantTranscribers,
} from '../config/adapters.js';
import { dynamoClient, tenantDynamoClients } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { perTenant } from '../config/per-tenant.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenancy } from '../config/tenancy.js';
import { pipelineStep, stepLog } from '../pipeline/step.js';
import { checkItem } from './check-item.js';

const config = loadConfig();
requireSettings(config, ['ingest', 'processed', 'results', 'ledger', 'state']);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);
const detector = await createPiiDetector(config);
const ocr = await createOcr(config);
// The item's tenant's objects, ledger, budget and verdict items, and its Transcribe job, in a session
// scoped to that tenant.
const blobsFor = await createTenantBlobStores(config);
const transcriberFor = await createTenantTranscribers(config);
const dynamoFor = tenantDynamoClients(config);
const depsFor = perTenant((tenant) => {
  const dynamo = dynamoFor(tenant);
  return {
    blobs: blobsFor(tenant),
    ledger: createDynamoLedger(dynamo, config.tables.ledger),
    budget: createTenancy(config, dynamo, publisher).budget,
    buckets: config.buckets,
    detector,
    ocr,
    transcriber: transcriberFor(tenant),
    verdicts: createDynamoDbDlpVerdictCache(dynamo, config.tables.state),
    log: (message: string, fields: Record<string, unknown>) => stepLog.info(message, fields),
  };
});

/** Finds PII in the instructions, the image's text and the transcript; the tenant's policy decides. */
export const handler = pipelineStep('DlpCheck', (state) => checkItem(depsFor(state.tenant), state), {
  // The audit trail is the operator's record: decisions are queued with the function's own role (docs/audit.md).
  audit: await createStepDecisionLog(config, { dynamo: dynamoClient(config) }),
});
