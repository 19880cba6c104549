import { createDynamoDbDlpVerdictCache } from '../adapters/dynamodb-dlp-verdict-cache.js';
import { createDynamoLedger } from '../adapters/dynamodb-ledger.js';
import { createEventBridgePublisher } from '../adapters/eventbridge-publisher.js';
import { createS3BlobStore } from '../adapters/s3-blob-store.js';
import { createOcr, createPiiDetector, createTranscriber } from '../config/adapters.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { eventBridgeClient } from '../config/clients/eventbridge.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { createTenancy } from '../config/tenancy.js';
import { pipelineStep, stepLog } from '../pipeline/step.js';
import { checkItem } from './check-item.js';

const config = loadConfig();
requireSettings(config, ['ingest', 'processed', 'results', 'ledger', 'state']);
const dynamo = dynamoClient(config);
const publisher = createEventBridgePublisher(eventBridgeClient(config), config.eventBusName);
const tenancy = createTenancy(config, dynamo, publisher);
const deps = {
  blobs: createS3BlobStore(s3Client(config)),
  ledger: createDynamoLedger(dynamo, config.tables.ledger),
  budget: tenancy.budget,
  buckets: config.buckets,
  detector: await createPiiDetector(config),
  ocr: await createOcr(config),
  transcriber: await createTranscriber(config),
  verdicts: createDynamoDbDlpVerdictCache(dynamo, config.tables.state),
  log: (message: string, fields: Record<string, unknown>) => stepLog.info(message, fields),
};

/** Finds PII in the instructions, the image's text and the transcript; the tenant's policy decides. */
export const handler = pipelineStep('DlpCheck', (state) => checkItem(deps, state));
