/**
 * DlpVerdictCache on the runtime-state table: `pk = TENANT#<tenant>#DLP` (tenant first, as every tenant
 * item), `sk = <verdict key>`, TTL attribute `ttl`. DynamoDB deletes expired items lazily, so a read checks
 * `ttl` itself.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CachedDlpVerdict, DlpVerdictCache } from '../ports.js';

const partitionOf = (tenant: string) => `TENANT#${tenant}#DLP`;

export function createDynamoDbDlpVerdictCache(
  client: DynamoDBClient,
  tableName: string,
  options: { readonly now?: () => number } = {},
): DlpVerdictCache {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const nowSeconds = () => Math.floor((options.now ?? Date.now)() / 1000);
  return {
    async get(tenant, key) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: partitionOf(tenant), sk: key } }),
      );
      if (!Item || typeof Item.ttl !== 'number' || Item.ttl <= nowSeconds()) return undefined;
      if (typeof Item.verdict !== 'string') return undefined;
      return JSON.parse(Item.verdict) as CachedDlpVerdict;
    },
    async put(tenant, key, verdict, ttlSeconds) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: partitionOf(tenant),
            sk: key,
            verdict: JSON.stringify(verdict),
            ttl: nowSeconds() + ttlSeconds,
          },
        }),
      );
    },
  };
}
