/**
 * Token buckets on the runtime-state table:
 *
 * - tenant bucket  pk `TENANT#<tenant>#RATE`  sk `BUCKET`: tokens per dimension, `at`, `version`.
 * - org bucket     pk `ORG#RATE`              sk `ROUTE#<route>`: the same, plus the spec the provider's
 *                  headers imply (organisation-wide, not a tenant item).
 * - wait marker    pk `TENANT#<tenant>#RATE`  sk `WAIT#<executionId>`: when the item first had to wait.
 *
 * Admission is one conditional update on the version read (functions/tenants/rate-limit.ts); the provider's
 * word replaces an org bucket in one update that moves the version on, without reading it first.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BucketId, RateBucketStore } from '../ports.js';

export const rateKeys = {
  bucket: (id: BucketId): { pk: string; sk: string } =>
    id.scope === 'tenant'
      ? { pk: `TENANT#${id.tenant}#RATE`, sk: 'BUCKET' }
      : { pk: 'ORG#RATE', sk: `ROUTE#${id.route}` },
  wait: (tenant: string, executionId: string): { pk: string; sk: string } => ({
    pk: `TENANT#${tenant}#RATE`,
    sk: `WAIT#${executionId}`,
  }),
};

/** Buckets idle this long are left to TTL: a full bucket and a missing one mean the same. */
const KEEP_BUCKET_S = 24 * 60 * 60;

function isConditionFailure(error: unknown): boolean {
  return (error as Error).name === 'ConditionalCheckFailedException';
}

export function createDynamoRateBuckets(client: DynamoDBClient, tableName: string): RateBucketStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    async read(bucket) {
      const got = await doc.send(
        new GetCommand({ TableName: tableName, Key: rateKeys.bucket(bucket), ConsistentRead: true }),
      );
      if (!got.Item) return undefined;
      const spec = got.Item.capacity
        ? {
            capacity: got.Item.capacity as Record<string, number>,
            refillPerMs: got.Item.refillPerMs as Record<string, number>,
          }
        : {};
      return {
        level: { tokens: got.Item.tokens as Record<string, number>, at: Number(got.Item.at), ...spec },
        version: Number(got.Item.version),
      };
    },

    async write(bucket, level, expectedVersion) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...rateKeys.bucket(bucket),
              type: 'rate-bucket',
              tokens: level.tokens,
              at: level.at,
              capacity: level.capacity,
              refillPerMs: level.refillPerMs,
              version: expectedVersion + 1,
              ttl: Math.floor(level.at / 1000) + KEEP_BUCKET_S,
            },
            ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
            ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async replace(bucket, level) {
      const limits = level.capacity && level.refillPerMs;
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: rateKeys.bucket(bucket),
          // Every name aliased: CAPACITY (among others) is a DynamoDB reserved word.
          UpdateExpression: `SET #type = :type, #tokens = :tokens, #at = :at, #ttl = :ttl${
            limits ? ', #capacity = :capacity, #refill = :refill' : ''
          } ADD #version :one`,
          ExpressionAttributeNames: {
            '#type': 'type',
            '#tokens': 'tokens',
            '#at': 'at',
            '#ttl': 'ttl',
            '#version': 'version',
            ...(limits ? { '#capacity': 'capacity', '#refill': 'refillPerMs' } : {}),
          },
          ExpressionAttributeValues: {
            ':type': 'rate-bucket',
            ':tokens': level.tokens,
            ':at': level.at,
            ':ttl': Math.floor(level.at / 1000) + KEEP_BUCKET_S,
            ':one': 1,
            ...(limits ? { ':capacity': level.capacity, ':refill': level.refillPerMs } : {}),
          },
        }),
      );
    },

    async firstDeferral(tenant, executionId, now) {
      const updated = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: rateKeys.wait(tenant, executionId),
          UpdateExpression:
            'SET #type = :type, since = if_not_exists(since, :now), #ttl = if_not_exists(#ttl, :ttl) ADD deferrals :one',
          ExpressionAttributeNames: { '#type': 'type', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':type': 'admission-wait',
            ':now': now,
            ':ttl': Math.floor(now / 1000) + KEEP_BUCKET_S,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Number(updated.Attributes?.since ?? now);
    },

    async deferredSince(tenant, executionId) {
      const got = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: rateKeys.wait(tenant, executionId),
          ConsistentRead: true,
        }),
      );
      return got.Item ? Number(got.Item.since) : undefined;
    },
  };
}
