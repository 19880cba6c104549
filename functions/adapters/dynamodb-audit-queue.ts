/**
 * AuditQueue on the runtime-state table. Queued decisions live in a few organisation partitions,
 * `pk = AUDIT#QUEUE#<shard>` (the shard from the tenant, so one tenant's decisions stay in one partition,
 * in order), `sk = <at>#<tenant>#<decisionId>`: sorted by when they were decided. The partitions are the chainer's,
 * not any tenant's: steps may only put into them, the chainer alone reads and deletes. No TTL: a queued
 * decision stays until it is chained.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AUDIT_QUEUE_PARTITION_PREFIX } from '../audit/queue.js';
import type { AuditQueue, QueuedAuditDecision } from '../ports.js';

/** Enough to spread a busy organisation over partitions; the chainer queries each. */
const AUDIT_QUEUE_SHARDS = 8;

const auditQueueKeys = {
  pk: (tenant: string) =>
    `${AUDIT_QUEUE_PARTITION_PREFIX}${(createHash('sha256').update(tenant).digest()[0] ?? 0) % AUDIT_QUEUE_SHARDS}`,
  sk: (at: string, tenant: string, decisionId: string) => `${at}#${tenant}#${decisionId}`,
};

export function createDynamoAuditQueue(client: DynamoDBClient, tableName: string): AuditQueue {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const shard = async (index: number, limit: number): Promise<QueuedAuditDecision[]> => {
    const pk = `${AUDIT_QUEUE_PARTITION_PREFIX}${index}`;
    const { Items = [] } = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return Items.map((item) => ({
      ref: JSON.stringify([pk, item.sk]),
      tenant: String(item.tenant),
      decisionId: String(item.decisionId),
      at: String(item.at),
      body: String(item.body),
    }));
  };
  return {
    async enqueue(decision) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: auditQueueKeys.pk(decision.tenant),
            sk: auditQueueKeys.sk(decision.at, decision.tenant, decision.decisionId),
            ...decision,
          },
        }),
      );
    },
    async oldest(limit) {
      const shards = await Promise.all(
        Array.from({ length: AUDIT_QUEUE_SHARDS }, (_, index) => shard(index, limit)),
      );
      return shards
        .flat()
        .sort((a, b) => (a.at === b.at ? a.decisionId.localeCompare(b.decisionId) : a.at.localeCompare(b.at)))
        .slice(0, limit);
    },
    async remove(refs) {
      const keys = refs.map((ref) => {
        const [pk, sk] = JSON.parse(ref) as [string, string];
        return { pk, sk };
      });
      // BatchWriteItem takes 25 requests; what DynamoDB leaves unprocessed (throttling) is sent again.
      for (let start = 0; start < keys.length; start += 25) {
        let requests = keys.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } }));
        for (let attempt = 0; requests.length > 0; attempt += 1) {
          if (attempt > 0)
            await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
          if (attempt >= 10) throw new Error('audit queue: entries left unprocessed after 10 attempts');
          const { UnprocessedItems } = await doc.send(
            new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
          );
          requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
        }
      }
    },
  };
}
