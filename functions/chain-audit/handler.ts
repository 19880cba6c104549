import { createDynamoAuditQueue } from '../adapters/dynamodb-audit-queue.js';
import { chainQueuedDecisions } from '../audit/queue.js';
import { createAuditChain } from '../config/adapters.js';
import { dynamoClient } from '../config/clients/dynamodb.js';
import { s3Client } from '../config/clients/s3.js';
import { loadConfig, requireSettings } from '../config/settings.js';
import { logger } from '../pipeline/step.js';

const config = loadConfig();
requireSettings(config, ['audit', 'state']);
const dynamo = dynamoClient(config);
const deps = {
  queue: createDynamoAuditQueue(dynamo, config.tables.state),
  trail: await createAuditChain(config, { dynamo, s3: s3Client(config) }),
};

/** Every minute: appends the decisions steps queued to each tenant's audit chain, in order (docs/audit.md). */
export const handler = async (_event?: unknown, context?: { awsRequestId?: string }) => {
  const result = await chainQueuedDecisions(deps);
  if (result.chained > 0)
    logger.info('audit decisions chained', {
      chained: result.chained,
      tenants: result.tenants,
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
    });
  return result;
};
