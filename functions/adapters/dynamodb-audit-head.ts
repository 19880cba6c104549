/**
 * AuditHeadStore on the runtime-state table. One partition per tenant's chain, `pk = TENANT#<t>#AUDIT`:
 * `sk = HEAD` holds the head (seq, hash and the last record), `sk = DECISION#<id>` the record each decision
 * was appended as. Advancing is one transaction: the head moves only from the position the writer read
 * (`seq = :expected`, or no head yet) and the decision item is created only once, so concurrent appenders
 * never share a position and a retried decision is found rather than appended again.
 */
import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditHead, AuditHeadStore, SealedAuditRecord } from '../ports.js';

export const auditHeadKeys = {
  pk: (tenant: string) => `TENANT#${tenant}#AUDIT`,
  head: 'HEAD',
  decision: (decisionId: string) => `DECISION#${decisionId}`,
};

/** Decision items only have to outlive the retries of their step (hours); the head and records stay. */
const DECISION_TTL_SECONDS = 90 * 24 * 3600;

function sealed(tenant: string, item: Record<string, unknown> | undefined): SealedAuditRecord | undefined {
  if (!item || typeof item.seq !== 'number' || typeof item.hash !== 'string' || typeof item.body !== 'string')
    return undefined;
  return { tenant, seq: item.seq, hash: item.hash, body: item.body };
}

export function createDynamoAuditHeadStore(client: DynamoDBClient, tableName: string): AuditHeadStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const get = async (tenant: string, sk: string) =>
    (
      await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: auditHeadKeys.pk(tenant), sk },
          ConsistentRead: true,
        }),
      )
    ).Item;
  return {
    async read(tenant): Promise<AuditHead | undefined> {
      const last = sealed(tenant, await get(tenant, auditHeadKeys.head));
      return last ? { seq: last.seq, hash: last.hash, last } : undefined;
    },
    async findDecision(tenant, decisionId) {
      return sealed(tenant, await get(tenant, auditHeadKeys.decision(decisionId)));
    },
    async advance({ decisionId, expectedSeq, record }) {
      if (record.seq !== expectedSeq + 1) throw new RangeError('an audit record goes right after the head');
      const pk = auditHeadKeys.pk(record.tenant);
      const updatedAt = new Date().toISOString();
      try {
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    pk,
                    sk: auditHeadKeys.head,
                    seq: record.seq,
                    hash: record.hash,
                    body: record.body,
                    updatedAt,
                  },
                  ConditionExpression:
                    expectedSeq === 0
                      ? 'attribute_not_exists(pk)'
                      : 'attribute_exists(pk) AND seq = :expected',
                  ...(expectedSeq === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedSeq } }),
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    pk,
                    sk: auditHeadKeys.decision(decisionId),
                    seq: record.seq,
                    hash: record.hash,
                    body: record.body,
                    ttl: Math.floor(Date.now() / 1000) + DECISION_TTL_SECONDS,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        return 'advanced';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
        if (codes[1] === 'ConditionalCheckFailed') return 'duplicate';
        if (codes[0] === 'ConditionalCheckFailed' || codes.includes('TransactionConflict')) return 'conflict';
        throw error;
      }
    },
  };
}
