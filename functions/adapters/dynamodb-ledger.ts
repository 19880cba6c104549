/**
 * The cost ledger in DynamoDB. Finance reads this table directly, so its item layout (documented in
 * docs/finance.md) is a public interface: change it only with a migration note there.
 *
 * One `TransactWriteItems` writes the ledger item under `attribute_not_exists(pk)` and ADDs the same
 * amounts to six aggregates (tenant × {day, month} × {total, per task, per model}). DynamoDB applies all
 * seven or none, so Σ ledger = aggregates always holds; a second write of the same id fails the condition,
 * cancels the whole transaction, and is reported as `{ written: false }`.
 */
import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Ledger, LedgerEntry } from '../ports.js';

/** Token bucket names, in the order reports show them. */
export const TOKEN_BUCKETS = ['textIn', 'cachedIn', 'imageIn', 'audioIn', 'textOut', 'audioOut'] as const;

export type AggregatePeriod = 'day' | 'month';
export type AggregateDimension = 'total' | 'task' | 'model';

/** Key builders: the single source of the layout (the CLI, the budget store and the docs follow it). */
export const ledgerKeys = {
  tenantPk: (tenant: string): string => `TENANT#${tenant}`,
  ledgerSk: (id: string): string => `LEDGER#${id}`,
  ledgerGsiPk: (tenant: string, month: string): string => `LEDGER#${tenant}#${month}`,
  ledgerGsiSk: (createdAt: string, id: string): string => `${createdAt}#${id}`,
  /** Sort key of an aggregate in its tenant's partition. */
  aggregateSk(period: AggregatePeriod, dim: AggregateDimension, periodKey: string, value?: string): string {
    const base = `AGG#${period.toUpperCase()}#${dim.toUpperCase()}#${periodKey}`;
    return dim === 'total' ? base : `${base}#${value ?? ''}`;
  },
  /** byPeriod GSI keys of an aggregate: every tenant of a month (or day) in one partition. */
  aggregateGsi(
    tenant: string,
    period: AggregatePeriod,
    dim: AggregateDimension,
    periodKey: string,
    value?: string,
  ): { gsi1pk: string; gsi1sk: string } {
    if (period === 'day' && dim === 'total') {
      return { gsi1pk: `MONTH#${periodKey.slice(0, 7)}#DAY`, gsi1sk: `${periodKey}#${tenant}` };
    }
    const gsi1pk = `${period.toUpperCase()}#${periodKey}#${dim.toUpperCase()}`;
    return { gsi1pk, gsi1sk: dim === 'total' ? tenant : `${tenant}#${value ?? ''}` };
  },
};

/** `#` separates key parts, so a tenant id must not contain one (task and model ids always come last). */
export function assertTenantId(tenant: string): void {
  if (tenant.length === 0 || tenant.length > 128 || tenant.includes('#')) {
    throw new RangeError('tenant id must be 1–128 characters without "#"');
  }
}

/** UTC day and month of an ISO-8601 instant, normalised (so `+02:00` offsets land on the right UTC day). */
export function periodsOf(instant: string): { createdAt: string; day: string; month: string } {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an ISO-8601 instant: ${instant}`);
  const createdAt = date.toISOString();
  return { createdAt, day: createdAt.slice(0, 10), month: createdAt.slice(0, 7) };
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
  return value;
}

/** `units` keys become attribute names `unit_<key>` on aggregates. */
function unitAttribute(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name))
    throw new RangeError(`unit name must be [A-Za-z0-9_]{1,64}: ${name}`);
  return `unit_${name}`;
}

function ledgerItem(entry: LedgerEntry, recordedAt: string): Record<string, unknown> {
  const { createdAt, day, month } = periodsOf(entry.createdAt);
  const item: Record<string, unknown> = {
    pk: ledgerKeys.tenantPk(entry.tenant),
    sk: ledgerKeys.ledgerSk(entry.id),
    gsi1pk: ledgerKeys.ledgerGsiPk(entry.tenant, month),
    gsi1sk: ledgerKeys.ledgerGsiSk(createdAt, entry.id),
    type: 'ledger',
    id: entry.id,
    tenant: entry.tenant,
    task: entry.task,
    kind: entry.kind,
    model: entry.model,
    route: entry.route,
    priceTableVersion: entry.priceTableVersion,
    costMicroUsd: entry.costMicroUsd,
    costSource: entry.costSource ?? 'usage',
    requestIds: [...entry.requestIds],
    executionId: entry.executionId,
    objectKeyHash: entry.objectKeyHash,
    createdAt,
    day,
    month,
    recordedAt,
  };
  for (const bucket of TOKEN_BUCKETS) item[bucket] = entry.tokens[bucket];
  if (entry.estimateMicroUsd !== undefined) {
    item.estimateMicroUsd = entry.estimateMicroUsd;
    // How far the pre-flight estimate was from the bill (1 = exact); absent when the estimate was 0.
    if (entry.estimateMicroUsd > 0) item.actualToEstimate = entry.costMicroUsd / entry.estimateMicroUsd;
  }
  if (entry.units && Object.keys(entry.units).length > 0) item.units = { ...entry.units };
  if (entry.exposureMicroUsd !== undefined) item.exposureMicroUsd = entry.exposureMicroUsd;
  if (entry.traceId) item.traceId = entry.traceId;
  return item;
}

function validate(entry: LedgerEntry): void {
  assertTenantId(entry.tenant);
  if (entry.id.length === 0) throw new RangeError('ledger id must not be empty');
  nonNegativeInt('costMicroUsd', entry.costMicroUsd);
  if (entry.estimateMicroUsd !== undefined) nonNegativeInt('estimateMicroUsd', entry.estimateMicroUsd);
  if (entry.exposureMicroUsd !== undefined) nonNegativeInt('exposureMicroUsd', entry.exposureMicroUsd);
  if (entry.kind === 'unconfirmed_attempt' && entry.costMicroUsd !== 0) {
    throw new RangeError('an unconfirmed attempt is exposure, never a charge: costMicroUsd must be 0');
  }
  for (const bucket of TOKEN_BUCKETS) nonNegativeInt(`tokens.${bucket}`, entry.tokens[bucket]);
  for (const [name, value] of Object.entries(entry.units ?? {})) {
    unitAttribute(name);
    nonNegativeInt(`units.${name}`, value);
  }
}

/** The ADD / SET update of one aggregate item. */
function aggregateUpdate(
  tableName: string,
  entry: LedgerEntry,
  period: AggregatePeriod,
  dim: AggregateDimension,
  updatedAt: string,
): Record<string, unknown> {
  const { day, month } = periodsOf(entry.createdAt);
  const periodKey = period === 'day' ? day : month;
  const value = dim === 'task' ? entry.task : dim === 'model' ? entry.model : undefined;
  const names: Record<string, string> = {
    '#type': 'type',
    '#tenant': 'tenant',
    '#period': 'period',
    '#periodKey': 'periodKey',
    '#dim': 'dim',
    '#gsi1pk': 'gsi1pk',
    '#gsi1sk': 'gsi1sk',
    '#updatedAt': 'updatedAt',
    '#cost': 'costMicroUsd',
    '#items': 'items',
    '#kindCount': `kind_${entry.kind}`,
  };
  const values: Record<string, unknown> = {
    ':type': 'aggregate',
    ':tenant': entry.tenant,
    ':period': period,
    ':periodKey': periodKey,
    ':dim': dim,
    ':updatedAt': updatedAt,
    ':cost': entry.costMicroUsd,
    ':one': 1,
    ...Object.fromEntries(
      Object.entries(ledgerKeys.aggregateGsi(entry.tenant, period, dim, periodKey, value)).map(([k, v]) => [
        `:${k}`,
        v,
      ]),
    ),
  };
  const sets = [
    '#type = :type',
    '#tenant = :tenant',
    '#period = :period',
    '#periodKey = :periodKey',
    '#dim = :dim',
    '#gsi1pk = :gsi1pk',
    '#gsi1sk = :gsi1sk',
    '#updatedAt = :updatedAt',
  ];
  const adds = ['#cost :cost', '#items :one', '#kindCount :one'];
  if (value !== undefined) {
    names['#dimValue'] = dim;
    values[':dimValue'] = value;
    sets.push('#dimValue = :dimValue');
  }
  if (entry.estimateMicroUsd !== undefined) {
    names['#estimate'] = 'estimateMicroUsd';
    values[':estimate'] = entry.estimateMicroUsd;
    adds.push('#estimate :estimate');
  }
  // Finance sees apart what was charged from an estimate (no usage came back) and what may yet be billed.
  if (entry.costSource === 'estimate') {
    names['#estimated'] = 'estimatedCostMicroUsd';
    values[':estimated'] = entry.costMicroUsd;
    adds.push('#estimated :estimated');
  }
  if (entry.exposureMicroUsd !== undefined) {
    names['#exposure'] = 'exposureMicroUsd';
    values[':exposure'] = entry.exposureMicroUsd;
    adds.push('#exposure :exposure');
  }
  TOKEN_BUCKETS.forEach((bucket, i) => {
    names[`#b${i}`] = bucket;
    values[`:b${i}`] = entry.tokens[bucket];
    adds.push(`#b${i} :b${i}`);
  });
  Object.entries(entry.units ?? {}).forEach(([unit, amount], i) => {
    names[`#u${i}`] = unitAttribute(unit);
    values[`:u${i}`] = amount;
    adds.push(`#u${i} :u${i}`);
  });
  return {
    Update: {
      TableName: tableName,
      Key: {
        pk: ledgerKeys.tenantPk(entry.tenant),
        sk: ledgerKeys.aggregateSk(period, dim, periodKey, value),
      },
      UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

const MAX_CONFLICT_RETRIES = 8;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createDynamoLedger(
  client: DynamoDBDocumentClient | DynamoDBClient,
  tableName: string,
  options: { now?: () => Date } = {},
): Ledger {
  const doc =
    client instanceof DynamoDBDocumentClient
      ? client
      : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const now = options.now ?? (() => new Date());

  return {
    async record(entry: LedgerEntry): Promise<{ written: boolean }> {
      validate(entry);
      const at = now().toISOString();
      const command = new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: ledgerItem(entry, at),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          ...(['day', 'month'] as const).flatMap((period) =>
            (['total', 'task', 'model'] as const).map((dim) =>
              aggregateUpdate(tableName, entry, period, dim, at),
            ),
          ),
        ],
      } as ConstructorParameters<typeof TransactWriteCommand>[0]);
      for (let attempt = 0; ; attempt += 1) {
        try {
          await doc.send(command);
          return { written: true };
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
          // The ledger item is action 0: its condition failing means this id is already recorded.
          if (codes[0] === 'ConditionalCheckFailed') return { written: false };
          // Concurrent transactions on the same aggregate conflict in DynamoDB; nothing was applied, so retry.
          if (codes.includes('TransactionConflict') && attempt < MAX_CONFLICT_RETRIES) {
            await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
            continue;
          }
          throw error;
        }
      }
    },
  };
}
