/**
 * The tenant registry on the runtime-state table (pk/sk), tenant-first like every tenant item:
 *
 * - record      pk `TENANT#<tenant>#CONFIG`  sk `CONFIG`: the TenantRecord, with `version`.
 * - directory   pk `TENANTS`                 sk `<tenant>`: one line per tenant, so `list` is one Query.
 * - principal   pk `PRINCIPAL#<arn>`          sk `TENANT`: which tenant an IAM principal belongs to.
 *
 * A change writes the record, its directory line and its principal bindings in one transaction, on the
 * condition that the record is still at the version the writer read, so two operators never lose each
 * other's change and a principal is never bound to two tenants.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TenantRecord, TenantRegistryStore } from '../ports.js';
import { TENANT_RECORD_FIELDS } from '../tenants/registry.js';
import { cancellationCodes, type TransactItem } from './dynamodb-transactions.js';

export const registryKeys = {
  recordPk: (tenant: string): string => `TENANT#${tenant}#CONFIG`,
  recordSk: 'CONFIG',
  directoryPk: 'TENANTS',
  principalPk: (arn: string): string => `PRINCIPAL#${arn}`,
  principalSk: 'TENANT',
};

function recordOf(item: Record<string, unknown> | undefined): TenantRecord | undefined {
  if (!item) return undefined;
  const record: Record<string, unknown> = {};
  for (const field of TENANT_RECORD_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  return { principals: [], ...record } as unknown as TenantRecord;
}

export function createDynamoTenantRegistry(client: DynamoDBClient, tableName: string): TenantRegistryStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  async function get(tenant: string): Promise<TenantRecord | undefined> {
    const got = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: registryKeys.recordPk(tenant), sk: registryKeys.recordSk },
        ConsistentRead: true,
      }),
    );
    return recordOf(got.Item);
  }

  return {
    get,

    async put(record, previous) {
      const expected = previous?.version ?? 0;
      if (record.version !== expected + 1) throw new Error('a tenant record moves one version at a time');
      const added = record.principals.filter((arn) => !previous?.principals.includes(arn));
      const removed = (previous?.principals ?? []).filter((arn) => !record.principals.includes(arn));
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tableName,
            Item: {
              pk: registryKeys.recordPk(record.tenant),
              sk: registryKeys.recordSk,
              type: 'tenant',
              ...record,
            },
            ConditionExpression: expected === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
            ...(expected === 0 ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: {
              pk: registryKeys.directoryPk,
              sk: record.tenant,
              type: 'tenant-directory',
              status: record.status,
              tier: record.tier,
              updatedAt: record.updatedAt,
            },
          },
        },
        ...added.map(
          (arn): TransactItem => ({
            Put: {
              TableName: tableName,
              Item: {
                pk: registryKeys.principalPk(arn),
                sk: registryKeys.principalSk,
                type: 'tenant-principal',
                tenant: record.tenant,
              },
              // One principal, one tenant: binding it elsewhere first needs an unbind there.
              ConditionExpression: 'attribute_not_exists(pk) OR tenant = :tenant',
              ExpressionAttributeValues: { ':tenant': record.tenant },
            },
          }),
        ),
        ...removed.map(
          (arn): TransactItem => ({
            Delete: {
              TableName: tableName,
              Key: { pk: registryKeys.principalPk(arn), sk: registryKeys.principalSk },
            },
          }),
        ),
      ];
      try {
        await doc.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        if (codes[0] === 'ConditionalCheckFailed') return false;
        const taken = codes.findIndex((code, index) => index >= 2 && code === 'ConditionalCheckFailed');
        if (taken >= 0) throw new Error(`principal ${added[taken - 2]} is bound to another tenant`);
        if (codes.includes('TransactionConflict')) return false;
        throw error;
      }
    },

    async list() {
      const names: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': registryKeys.directoryPk },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) names.push(String(item.sk));
        start = page.LastEvaluatedKey;
      } while (start);
      const records = await Promise.all(names.map((name) => get(name)));
      return records.filter((record): record is TenantRecord => record !== undefined);
    },

    async tenantOfPrincipal(arn) {
      const got = await doc.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: registryKeys.principalPk(arn), sk: registryKeys.principalSk },
        }),
      );
      return typeof got.Item?.tenant === 'string' ? got.Item.tenant : undefined;
    },
  };
}
