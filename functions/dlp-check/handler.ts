import { createDynamoBudgetGuard } from '../adapters/dynamodb-budget-store.js';
import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { createOcr, createPiiDetector, createStepAuditTrail, createTranscriber } from '../config/adapters.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { pipelineStep } from '../pipeline/step.js';
import { checkItem } from './check-item.js';

const config = loadConfig();
requireSettings(config, ['ingest', 'processed', 'results', 'ledger', 'state', 'audit']);
const dynamo = dynamoClient(config);
const s3 = s3Client(config);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);
const deps = {
  blobs: createS3BlobStore(s3),
  ledger: createDynamoLedger(dynamo, config.tables.ledger),
  budget: createDynamoBudgetGuard(dynamo, config.tables.state, publisher, config.timeScale),
  buckets: config.buckets,
  detector: await createPiiDetector(config),
  ocr: await createOcr(config),
  transcriber: await createTranscriber(config),
};

/** Finds PII in the instructions, the image's text and the transcript; the tenant's policy decides. */
export const handler = pipelineStep('DlpCheck', (state) => checkItem(deps, state), {
  audit: await createStepAuditTrail(config, { dynamo, s3 }),
});
