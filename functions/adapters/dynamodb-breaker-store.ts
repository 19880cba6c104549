/**
 * BreakerStore on the runtime-state table (pk S, sk S, TTL attribute `ttl` in epoch seconds). One item
 * per route: `pk = breaker#<route>`, `sk = state`. Counters move by atomic `ADD`; state changes are
 * conditional puts on `version`. Every write pushes `ttl` forward, so breakers of retired routes age out;
 * DynamoDB deletes expired items lazily, so reads treat an expired item as absent.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BreakerRecord, BreakerState, BreakerStore } from '../ports.js';

export interface DynamoDbBreakerStoreOptions {
  /** How long an untouched breaker item lives. @default 7 days */
  ttlSeconds?: number;
  /** Epoch ms. @default Date.now */
  now?: () => number;
}

const SORT_KEY = 'state';
const STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];

function key(route: string) {
  return { pk: `breaker#${route}`, sk: SORT_KEY };
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function toRecord(route: string, item: Record<string, unknown>): BreakerRecord {
  const state = STATES.includes(item.state as BreakerState) ? (item.state as BreakerState) : 'closed';
  return {
    route,
    state,
    version: num(item.version),
    consecutiveFailures: num(item.consecutiveFailures),
    windowStartMs: num(item.windowStartMs),
    windowRequests: num(item.windowRequests),
    windowFailures: num(item.windowFailures),
    openUntilMs: num(item.openUntilMs),
    reopenCount: num(item.reopenCount),
    probeLeaseUntilMs: num(item.probeLeaseUntilMs),
    ...(typeof item.probeLease === 'string' ? { probeLease: item.probeLease } : {}),
  };
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}

export function createDynamoDbBreakerStore(
  client: DynamoDBClient,
  tableName: string,
  options: DynamoDbBreakerStoreOptions = {},
): BreakerStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const now = options.now ?? Date.now;
  const ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  const nowSeconds = () => Math.floor(now() / 1000);
  const expiry = () => nowSeconds() + ttlSeconds;

  async function read(route: string): Promise<BreakerRecord | undefined> {
    // Strongly consistent: a stale read here would let two instances believe they may probe.
    const { Item } = await doc.send(
      new GetCommand({ TableName: tableName, Key: key(route), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    if (typeof Item.ttl === 'number' && Item.ttl <= nowSeconds()) return undefined;
    return toRecord(route, Item);
  }

  async function countInWindow(route: string, success: boolean, windowStartMs: number) {
    const { Attributes } = await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(route),
        UpdateExpression: success
          ? 'SET #ws = if_not_exists(#ws, :w), #cf = :zero, #ttl = :ttl ADD #req :one'
          : 'SET #ws = if_not_exists(#ws, :w), #ttl = :ttl ADD #req :one, #fail :one, #cf :one',
        ConditionExpression: 'attribute_not_exists(#ws) OR #ws = :w',
        ExpressionAttributeNames: {
          '#ws': 'windowStartMs',
          '#cf': 'consecutiveFailures',
          '#ttl': 'ttl',
          '#req': 'windowRequests',
          ...(success ? {} : { '#fail': 'windowFailures' }),
        },
        ExpressionAttributeValues: {
          ':w': windowStartMs,
          ':one': 1,
          ':ttl': expiry(),
          ...(success ? { ':zero': 0 } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(route, Attributes ?? {});
  }

  async function startWindow(route: string, success: boolean, windowStartMs: number) {
    const { Attributes } = await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key(route),
        UpdateExpression: success
          ? 'SET #ws = :w, #req = :one, #fail = :zero, #cf = :zero, #ttl = :ttl'
          : 'SET #ws = :w, #req = :one, #fail = :one, #ttl = :ttl ADD #cf :one',
        ConditionExpression: '#ws < :w',
        ExpressionAttributeNames: {
          '#ws': 'windowStartMs',
          '#req': 'windowRequests',
          '#fail': 'windowFailures',
          '#cf': 'consecutiveFailures',
          '#ttl': 'ttl',
        },
        // DynamoDB refuses a value the expression does not use: `:zero` only where a success resets the streak.
        ExpressionAttributeValues: {
          ':w': windowStartMs,
          ':one': 1,
          ':ttl': expiry(),
          ...(success ? { ':zero': 0 } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRecord(route, Attributes ?? {});
  }

  return {
    read,

    async count(route, { success, windowStartMs }) {
      // Same window: add. Newer window: restart the counters. Each step is conditional, so two instances
      // crossing a window boundary at once cannot both restart it (the loser counts into the new window).
      for (let tries = 0; tries < 3; tries++) {
        try {
          return await countInWindow(route, success, windowStartMs);
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        try {
          return await startWindow(route, success, windowStartMs);
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      // Our clock is behind the window another instance already wrote: do not count, just report.
      return (await read(route)) ?? { ...toRecord(route, {}), windowStartMs };
    },

    async transition(next, expectedVersion) {
      const { probeLease, route, ...fields } = next;
      const firstWrite = expectedVersion === 0;
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...key(route), ...fields, ...(probeLease ? { probeLease } : {}), ttl: expiry() },
            // Version 0 means "never written": no version yet (a counts-only item) or an expired item.
            ConditionExpression: firstWrite
              ? 'attribute_not_exists(#v) OR #v = :expected OR #ttl <= :now'
              : '#v = :expected',
            ExpressionAttributeNames: firstWrite ? { '#v': 'version', '#ttl': 'ttl' } : { '#v': 'version' },
            ExpressionAttributeValues: firstWrite
              ? { ':expected': expectedVersion, ':now': nowSeconds() }
              : { ':expected': expectedVersion },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}
