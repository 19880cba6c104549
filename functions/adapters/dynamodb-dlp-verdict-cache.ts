/**
 * DlpVerdictCache on the runtime-state table: `pk = TENANT#<tenant>#DLP`, `sk = <verdict key>`, the verdict
 * in `verdict`; an entry past its `ttl` is a miss (dynamodb-tenant-cache.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CachedDlpVerdict, DlpVerdictCache } from '../ports.js';
import { createDynamoDbTenantCache } from './dynamodb-tenant-cache.js';

export function createDynamoDbDlpVerdictCache(
  client: DynamoDBClient,
  tableName: string,
  options: { readonly now?: () => number } = {},
): DlpVerdictCache {
  return createDynamoDbTenantCache<CachedDlpVerdict>(client, tableName, {
    kind: 'DLP',
    attribute: 'verdict',
    ...(options.now ? { now: options.now } : {}),
  });
}
