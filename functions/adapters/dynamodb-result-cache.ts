/**
 * ResultCache on the runtime-state table (pk S, sk S, TTL attribute `ttl` in epoch seconds):
 * `pk = TENANT#<tenant>#RESULT`, `sk = <sha256 key>`, tenant first like every tenant item. The answer is stored as the table stores everything, encrypted
 * with the table's KMS key. DynamoDB deletes expired items lazily (up to days later), so a read checks
 * `ttl` itself and treats an expired entry as a miss.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CachedResult, ResultCache } from '../ports.js';

export interface DynamoDbResultCacheOptions {
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

export const resultCacheKeys = {
  pk: (tenant: string): string => `TENANT#${tenant}#RESULT`,
};

export function createDynamoDbResultCache(
  client: DynamoDBClient,
  tableName: string,
  options: DynamoDbResultCacheOptions = {},
): ResultCache {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const nowSeconds = () => Math.floor((options.now ?? Date.now)() / 1000);
  return {
    async get(tenant, key) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: resultCacheKeys.pk(tenant), sk: key } }),
      );
      if (!Item || typeof Item.ttl !== 'number' || Item.ttl <= nowSeconds()) return undefined;
      if (typeof Item.result !== 'string') return undefined;
      return JSON.parse(Item.result) as CachedResult;
    },
    async put(tenant, key, value, ttlSeconds) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: resultCacheKeys.pk(tenant),
            sk: key,
            result: JSON.stringify(value),
            ttl: nowSeconds() + ttlSeconds,
          },
        }),
      );
    },
  };
}
