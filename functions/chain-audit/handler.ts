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

/** Time kept back at the end of a run: a pass (up to 200 appends) must finish before the Lambda times out. */
const RESERVE_MS = 30_000;

/** Every minute: appends the decisions steps queued to each tenant's audit chain, in order (docs/audit.md). */
export const handler = async (
  _event?: unknown,
  context?: { awsRequestId?: string; getRemainingTimeInMillis?: () => number },
) => {
  // A backlog larger than one run can chain is left for the next run rather than cut off mid-pass.
  const deadline = context?.getRemainingTimeInMillis
    ? Date.now() + context.getRemainingTimeInMillis() - RESERVE_MS
    : Number.POSITIVE_INFINITY;
  const result = await chainQueuedDecisions({ ...deps, shouldStop: () => Date.now() > deadline });
  if (result.chained > 0 || result.stoppedEarly)
    logger.info('audit decisions chained', {
      chained: result.chained,
      tenants: result.tenants,
      stoppedEarly: result.stoppedEarly ?? false,
      ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}),
    });
  return result;
};
