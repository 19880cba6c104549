/**
 * ResultCache on the runtime-state table: `pk = TENANT#<tenant>#RESULT`, `sk = <sha256 key>`, the answer in
 * `result`, encrypted with the table's KMS key; an entry past its `ttl` is a miss (dynamodb-tenant-cache.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CachedResult, ResultCache } from '../ports.js';
import { createDynamoDbTenantCache } from './dynamodb-tenant-cache.js';

export interface DynamoDbResultCacheOptions {
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

export function createDynamoDbResultCache(
  client: DynamoDBClient,
  tableName: string,
  options: DynamoDbResultCacheOptions = {},
): ResultCache {
  return createDynamoDbTenantCache<CachedResult>(client, tableName, {
    kind: 'RESULT',
    attribute: 'result',
    ...(options.now ? { now: options.now } : {}),
  });
}
