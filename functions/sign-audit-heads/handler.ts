import { createDynamoAuditHeadStore } from '../adapters/dynamodb-audit-head.js';
import { createS3AuditStore } from '../adapters/s3-audit-store.js';
import { signHeads } from '../audit/heads.js';
import { createHeadSigner } from '../config/adapters.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { logger } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['audit', 'state']);
const deps = {
  heads: createDynamoAuditHeadStore(dynamoClient(config), config.tables.state),
  records: createS3AuditStore(s3Client(config), config.buckets.audit),
  signer: await createHeadSigner(config),
  now: () => new Date().toISOString(),
};

/** The daily schedule: signs every tenant's audit chain head that moved since its last signature. */
export const handler = async (_event?: unknown, context?: { awsRequestId?: string }) => {
  const result = await signHeads(deps);
  logger.info('audit heads signed', {
    signed: result.signed.length,
    unchanged: result.unchanged,
    keyId: deps.signer.keyId,
    ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
  });
  return { signed: result.signed.length, unchanged: result.unchanged };
};
