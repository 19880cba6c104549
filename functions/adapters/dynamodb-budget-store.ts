/**
 * Budget counters and reservations in DynamoDB (any table keyed `pk`/`sk`; the stack's state table,
 * whose TTL attribute is `ttl`). Every item is keyed tenant first (`TENANT#<tenant>#<KIND>`), so IAM can
 * confine a tenant's session to its own items. Layout, documented in docs/finance.md:
 *
 * - counter    pk `TENANT#<tenant>#BUDGET`  sk `DAY#<YYYY-MM-DD>` | `MONTH#<YYYY-MM>`:
 *              spentMicroUsd, reservedMicroUsd, committedMicroUsd (= spent + reserved), capMicroUsd.
 *              DynamoDB conditions cannot add, so `committed` is kept as one number and the reserve
 *              condition is `committed <= cap − estimate`, computed by the caller.
 * - reservation pk `TENANT#<tenant>#RESERVATION` sk `RES#<id>`: amount, state
 *              (reserved → settled | released | expired), expiresAt, the periods it counts against.
 * - active index pk `TENANT#<tenant>#RESERVATION` sk `ACTIVE#<expiresAt>#<id>`: exists while the
 *              reservation is `reserved`, so the tenant's expired reservations are one strongly consistent
 *              range query; it also carries `sweepPk = ACTIVE`, `sweepSk = <expiresAt>`, the sparse
 *              `byExpiry` index the scheduled sweep reads across tenants.
 * - threshold claim pk `TENANT#<tenant>#BUDGET` sk `ALERT#<DAY|MONTH>#<periodKey>#<percent>`.
 *
 * Every change of a reservation's state moves its amount on the counters in the same transaction, with a
 * condition on the state it saw, so no amount is ever added or removed twice (the IDP accelerator's
 * counter leaked and went negative for want of exactly this). Final reservations and old counters get a
 * `ttl` so DynamoDB cleans them up; an active reservation never has one (TTL deleting it would leak).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BudgetPeriod, BudgetStore, PeriodCap, PeriodSpend, StoreReserveOutcome } from '../ports.js';
import { assertTenantId } from './dynamodb-ledger.js';
import { cancellationCodes, type TransactItem } from './dynamodb-transactions.js';

export const budgetKeys = {
  tenantPk: (tenant: string): string => `TENANT#${tenant}#BUDGET`,
  counterSk: (period: BudgetPeriod, periodKey: string): string => `${period.toUpperCase()}#${periodKey}`,
  reservationPk: (tenant: string): string => `TENANT#${tenant}#RESERVATION`,
  reservationSk: (id: string): string => `RES#${id}`,
  activeSk: (expiresAt: string, id: string): string => `ACTIVE#${expiresAt}#${id}`,
  /** The sparse index of open reservations across tenants, by expiry (the scheduled sweep). */
  sweepIndex: 'byExpiry',
  sweepPk: 'ACTIVE',
  alertSk: (period: BudgetPeriod, periodKey: string, percent: number): string =>
    `ALERT#${period.toUpperCase()}#${periodKey}#${percent}`,
};

const DAY_S = 24 * 60 * 60;
/** How long finished reservations and claims are kept for inspection before TTL removes them. */
const KEEP_FINISHED_S = 35 * DAY_S;
const KEEP_COUNTER_S: Record<BudgetPeriod, number> = { day: 40 * DAY_S, month: 400 * DAY_S };
const MAX_ATTEMPTS = 10;

type ReservationState = 'reserved' | 'settled' | 'released' | 'expired';

interface Reservation {
  readonly pk: string;
  readonly sk: string;
  readonly tenant: string;
  readonly reservationId: string;
  readonly amountMicroUsd: number;
  readonly state: ReservationState;
  readonly expiresAt: string;
  readonly periods: { period: BudgetPeriod; periodKey: string }[];
}

function epochSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createDynamoBudgetStore(
  client: DynamoDBDocumentClient | DynamoDBClient,
  tableName: string,
): BudgetStore {
  const doc =
    client instanceof DynamoDBDocumentClient
      ? client
      : DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  function counterUpdate(
    tenant: string,
    period: BudgetPeriod,
    periodKey: string,
    delta: { reserved: number; spent: number },
    now: string,
    extra?: { condition: string; values: Record<string, unknown> },
  ): TransactItem {
    return {
      Update: {
        TableName: tableName,
        Key: { pk: budgetKeys.tenantPk(tenant), sk: budgetKeys.counterSk(period, periodKey) },
        UpdateExpression:
          'SET #type = :type, tenant = :tenant, #period = :period, periodKey = :periodKey, updatedAt = :now, ' +
          '#ttl = if_not_exists(#ttl, :ttl) ' +
          'ADD reservedMicroUsd :reserved, spentMicroUsd :spent, committedMicroUsd :committed',
        ...(extra ? { ConditionExpression: extra.condition } : {}),
        ExpressionAttributeNames: { '#type': 'type', '#period': 'period', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':type': 'budget',
          ':tenant': tenant,
          ':period': period,
          ':periodKey': periodKey,
          ':now': now,
          ':ttl': epochSeconds(now) + KEEP_COUNTER_S[period],
          ':reserved': delta.reserved,
          ':spent': delta.spent,
          ':committed': delta.reserved + delta.spent,
          ...extra?.values,
        },
      },
    };
  }

  async function getReservation(tenant: string, reservationId: string): Promise<Reservation | undefined> {
    const got = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { pk: budgetKeys.reservationPk(tenant), sk: budgetKeys.reservationSk(reservationId) },
        ConsistentRead: true,
      }),
    );
    return got.Item as Reservation | undefined;
  }

  /**
   * Moves a reservation from the state it was seen in to `to`, with the counter deltas that transition
   * means. Returns false when someone else moved it first (the caller re-reads and decides again).
   */
  async function transition(
    reservation: Reservation,
    to: Exclude<ReservationState, 'reserved'>,
    actualMicroUsd: number,
    now: string,
    extraCondition?: { condition: string; values: Record<string, unknown> },
  ): Promise<boolean> {
    const wasReserved = reservation.state === 'reserved';
    const delta = {
      reserved: wasReserved ? -reservation.amountMicroUsd : 0,
      spent: to === 'settled' ? actualMicroUsd : 0,
    };
    const items: TransactItem[] = [
      {
        Update: {
          TableName: tableName,
          Key: { pk: reservation.pk, sk: reservation.sk },
          UpdateExpression: `SET #state = :to, finishedAt = :now, #ttl = :ttl${to === 'settled' ? ', actualMicroUsd = :actual' : ''}`,
          ConditionExpression: `#state = :seen${extraCondition ? ` AND ${extraCondition.condition}` : ''}`,
          ExpressionAttributeNames: { '#state': 'state', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':to': to,
            ':seen': reservation.state,
            ':now': now,
            ':ttl': epochSeconds(now) + KEEP_FINISHED_S,
            ...(to === 'settled' ? { ':actual': actualMicroUsd } : {}),
            ...extraCondition?.values,
          },
        },
      },
    ];
    if (wasReserved) {
      items.push({
        Delete: {
          TableName: tableName,
          Key: {
            pk: budgetKeys.reservationPk(reservation.tenant),
            sk: budgetKeys.activeSk(reservation.expiresAt, reservation.reservationId),
          },
        },
      });
    }
    if (delta.reserved !== 0 || delta.spent !== 0) {
      for (const p of reservation.periods) {
        items.push(counterUpdate(reservation.tenant, p.period, p.periodKey, delta, now));
      }
    }
    return runTransaction(items);
  }

  /** True when committed; false when action 0's condition failed; retries conflicts. */
  async function runTransaction(items: TransactItem[]): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await doc.send(new TransactWriteCommand({ TransactItems: items }));
        return true;
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        if (codes[0] === 'ConditionalCheckFailed') return false;
        if (codes.includes('TransactionConflict') && attempt < MAX_ATTEMPTS) {
          await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
          continue;
        }
        throw error;
      }
    }
  }

  /** Expires every still-open reservation a query of active markers finds; returns how many it expired. */
  async function expireAll(
    query: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>,
    now: string,
  ): Promise<number> {
    let expired = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({ ...query, TableName: tableName, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        const reservation = await getReservation(String(item.tenant), String(item.reservationId));
        if (reservation?.state !== 'reserved' || reservation.expiresAt > now) continue;
        const done = await transition(reservation, 'expired', 0, now, {
          condition: 'expiresAt <= :now',
          values: {},
        });
        if (done) expired += 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return expired;
  }

  async function readSpend(tenant: string, periods: Reservation['periods']): Promise<PeriodSpend[]> {
    return Promise.all(
      periods.map(async (p) => {
        const got = await doc.send(
          new GetCommand({
            TableName: tableName,
            Key: { pk: budgetKeys.tenantPk(tenant), sk: budgetKeys.counterSk(p.period, p.periodKey) },
            ConsistentRead: true,
          }),
        );
        return {
          period: p.period,
          periodKey: p.periodKey,
          spentMicroUsd: Number(got.Item?.spentMicroUsd ?? 0),
          reservedMicroUsd: Number(got.Item?.reservedMicroUsd ?? 0),
        };
      }),
    );
  }

  return {
    async reserve({
      tenant,
      reservationId,
      amountMicroUsd,
      expiresAt,
      caps,
      now,
    }): Promise<StoreReserveOutcome> {
      assertTenantId(tenant);
      const refused = caps.find((c) => amountMicroUsd > c.capMicroUsd);
      if (refused) return { ok: false, period: refused.period, spentMicroUsd: 0 };
      const items: TransactItem[] = [
        {
          Put: {
            TableName: tableName,
            Item: {
              pk: budgetKeys.reservationPk(tenant),
              sk: budgetKeys.reservationSk(reservationId),
              type: 'reservation',
              tenant,
              reservationId,
              amountMicroUsd,
              state: 'reserved',
              expiresAt,
              createdAt: now,
              periods: caps.map((c: PeriodCap) => ({ period: c.period, periodKey: c.periodKey })),
            },
            // A reservation that was released or expired may be taken again (a redriven execution).
            ConditionExpression: 'attribute_not_exists(pk) OR #state IN (:released, :expired)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':released': 'released', ':expired': 'expired' },
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: {
              pk: budgetKeys.reservationPk(tenant),
              sk: budgetKeys.activeSk(expiresAt, reservationId),
              type: 'reservation-active',
              tenant,
              reservationId,
              expiresAt,
              sweepPk: budgetKeys.sweepPk,
              sweepSk: expiresAt,
            },
          },
        },
        ...caps.map((c) =>
          counterUpdate(tenant, c.period, c.periodKey, { reserved: amountMicroUsd, spent: 0 }, now, {
            condition: 'attribute_not_exists(committedMicroUsd) OR committedMicroUsd <= :limit',
            values: { ':limit': c.capMicroUsd - amountMicroUsd },
          }),
        ),
      ];
      for (let attempt = 0; ; attempt += 1) {
        try {
          await doc.send(new TransactWriteCommand({ TransactItems: items }));
          const periods = caps.map((c) => ({ period: c.period, periodKey: c.periodKey }));
          return {
            ok: true,
            state: 'reserved',
            held: { amountMicroUsd, expiresAt, createdAt: now, periods },
          };
        } catch (error) {
          const codes = cancellationCodes(error);
          if (!codes) throw error;
          if (codes[0] === 'ConditionalCheckFailed') {
            const existing = await getReservation(tenant, reservationId);
            if (existing?.state === 'reserved') return { ok: true, state: 'already_reserved' };
            if (existing?.state === 'settled') return { ok: true, state: 'already_settled' };
            // It was released or expired between our write and our read: try again.
            if (attempt < MAX_ATTEMPTS) continue;
            throw error;
          }
          const capIndex = codes.slice(2).indexOf('ConditionalCheckFailed');
          const cap = caps[capIndex];
          if (capIndex >= 0 && cap) {
            const [spend] = await readSpend(tenant, [cap]);
            return { ok: false, period: cap.period, spentMicroUsd: spend?.spentMicroUsd ?? 0 };
          }
          if (codes.includes('TransactionConflict') && attempt < MAX_ATTEMPTS) {
            await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
            continue;
          }
          throw error;
        }
      }
    },

    async settle({ tenant, reservationId, actualMicroUsd, now, held }) {
      // Optimistic first: the reservation as reserve wrote it, moved only if it is still exactly that write.
      if (held) {
        const seen: Reservation = {
          pk: budgetKeys.reservationPk(tenant),
          sk: budgetKeys.reservationSk(reservationId),
          tenant,
          reservationId,
          amountMicroUsd: held.amountMicroUsd,
          state: 'reserved',
          expiresAt: held.expiresAt,
          periods: held.periods.map((p) => ({ ...p })),
        };
        const unchanged = {
          condition: 'createdAt = :createdAt AND amountMicroUsd = :amount AND expiresAt = :expiresAt',
          values: {
            ':createdAt': held.createdAt,
            ':amount': held.amountMicroUsd,
            ':expiresAt': held.expiresAt,
          },
        };
        if (await transition(seen, 'settled', actualMicroUsd, now, unchanged)) {
          return { settled: true, tenant, spend: await readSpend(tenant, seen.periods) };
        }
      }
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        const reservation = await getReservation(tenant, reservationId);
        if (!reservation) throw new Error(`settle: no reservation ${reservationId}`);
        if (reservation.state === 'settled') {
          return {
            settled: false,
            tenant: reservation.tenant,
            spend: await readSpend(reservation.tenant, reservation.periods),
          };
        }
        // An expired or released reservation no longer holds its amount; the spend is still real.
        if (await transition(reservation, 'settled', actualMicroUsd, now)) {
          return {
            settled: true,
            tenant: reservation.tenant,
            spend: await readSpend(reservation.tenant, reservation.periods),
          };
        }
      }
      throw new Error(`settle: reservation ${reservationId} kept changing under us`);
    },

    async release({ tenant, reservationId, now }) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        const reservation = await getReservation(tenant, reservationId);
        if (reservation?.state !== 'reserved') return { released: false };
        if (await transition(reservation, 'released', 0, now)) return { released: true };
      }
      throw new Error(`release: reservation ${reservationId} kept changing under us`);
    },

    async reclaimExpired({ tenant, now }) {
      assertTenantId(tenant);
      return expireAll(
        {
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': budgetKeys.reservationPk(tenant),
            ':from': 'ACTIVE#',
            // '$' sorts right after '#', so this takes every expiresAt ≤ now.
            ':to': `ACTIVE#${now}$`,
          },
          ConsistentRead: true,
        },
        now,
      );
    },

    async sweepExpired({ now }) {
      // A GSI is eventually consistent; each reservation is read again, strongly, before it is expired.
      return expireAll(
        {
          IndexName: budgetKeys.sweepIndex,
          KeyConditionExpression: 'sweepPk = :pk AND sweepSk <= :now',
          ExpressionAttributeValues: { ':pk': budgetKeys.sweepPk, ':now': now },
        },
        now,
      );
    },

    async markThreshold({ tenant, period, periodKey, percent, now }) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: budgetKeys.tenantPk(tenant),
              sk: budgetKeys.alertSk(period, periodKey, percent),
              type: 'budget-alert',
              tenant,
              period,
              periodKey,
              percent,
              at: now,
              ttl: epochSeconds(now) + KEEP_COUNTER_S[period],
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },

    async unmarkThreshold({ tenant, period, periodKey, percent }) {
      await doc.send(
        new DeleteCommand({
          TableName: tableName,
          Key: { pk: budgetKeys.tenantPk(tenant), sk: budgetKeys.alertSk(period, periodKey, percent) },
        }),
      );
    },
  };
}
