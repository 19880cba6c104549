/**
 * A tenant's cached JSON values on the runtime-state table (pk S, sk S, TTL attribute `ttl` in epoch
 * seconds): `pk = TENANT#<tenant>#<KIND>` (tenant first, like every tenant item), `sk = <key>`, the value
 * serialised in one attribute. DynamoDB deletes expired items lazily (up to days later), so a read checks
 * `ttl` itself and treats an expired entry as a miss. The result cache and the DLP verdict cache are this.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

export interface TenantCache<T> {
  get(tenant: string, key: string): Promise<T | undefined>;
  put(tenant: string, key: string, value: T, ttlSeconds: number): Promise<void>;
}

export function createDynamoDbTenantCache<T>(
  client: DynamoDBClient,
  tableName: string,
  layout: {
    /** The partition's last part: `RESULT`, `DLP`. */
    readonly kind: string;
    /** The attribute that holds the JSON value. */
    readonly attribute: string;
    /** Epoch ms. @default Date.now */
    readonly now?: () => number;
  },
): TenantCache<T> {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const nowSeconds = () => Math.floor((layout.now ?? Date.now)() / 1000);
  const pk = (tenant: string) => `TENANT#${tenant}#${layout.kind}`;
  return {
    async get(tenant, key) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: pk(tenant), sk: key } }),
      );
      if (!Item || typeof Item.ttl !== 'number' || Item.ttl <= nowSeconds()) return undefined;
      const value = Item[layout.attribute];
      if (typeof value !== 'string') return undefined;
      return JSON.parse(value) as T;
    },
    async put(tenant, key, value, ttlSeconds) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: pk(tenant),
            sk: key,
            [layout.attribute]: JSON.stringify(value),
            ttl: nowSeconds() + ttlSeconds,
          },
        }),
      );
    },
  };
}
