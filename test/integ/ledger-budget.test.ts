import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoBudgetStore } from '../../functions/adapters/dynamodb-budget-store.js';
import { createDynamoLedger } from '../../functions/adapters/dynamodb-ledger.js';
import { BUDGET_THRESHOLD_DETAIL_TYPE, type BudgetThresholdDetail } from '../../functions/money/budget.js';
import type { LedgerEntry, OutcomeEvent } from '../../functions/ports.js';
import { parseTenantSeed, type TenantSeed } from '../../functions/tenants/registry.js';
import {
  createStateTable,
  ensureLedgerTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../infra/local/dynamodb.js';
import { seedBudgetGuard } from '../fixtures/budget-guard.js';

type Item = Record<string, unknown>;

function config(
  tenants: Record<string, { dailyCapMicroUsd?: number; monthlyCapMicroUsd?: number }>,
): TenantSeed {
  return parseTenantSeed({
    version: 'test-1',
    effectiveDate: '2026-11-24',
    thresholdsPercent: [50, 80, 100],
    reservationTtlSeconds: 60,
    defaultTier: 'standard',
    tiers: { standard: { dailyCapMicroUsd: 1_000_000, monthlyCapMicroUsd: 10_000_000 } },
    tenants,
  });
}

class Clock {
  constructor(private at: number) {}
  now = (): Date => new Date(this.at);
  advance(ms: number): void {
    this.at += ms;
  }
}

describe('budgets on the local DynamoDB', () => {
  let local: LocalDynamo;
  let client: DynamoDBClient;
  let tableCount = 0;

  beforeAll(async () => {
    local = await startLocalDynamo();
    client = local.client();
  });

  afterAll(async () => {
    client?.destroy();
    await local?.close();
  });

  async function freshTable(): Promise<string> {
    tableCount += 1;
    const name = `budget-${tableCount}`;
    await ensureLedgerTable(client, name);
    return name;
  }

  async function scan(table: string): Promise<Item[]> {
    const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    return (page.Items ?? []).map((i) => unmarshall(i));
  }

  function counter(items: Item[], tenant: string, sk: string): Item | undefined {
    return items.find((i) => i.pk === `TENANT#${tenant}#BUDGET` && i.sk === sk);
  }

  function setup(table: string, cfg: TenantSeed, clock: Clock, events: OutcomeEvent[] = []) {
    return seedBudgetGuard(createDynamoBudgetStore(client, table), {
      seed: cfg,
      now: clock.now,
      emit: async (event) => {
        events.push(event);
      },
    });
  }

  /** A guard on a client of its own that lists the requests it sends. */
  function countingGuard(table: string, cfg: TenantSeed, clock: Clock) {
    const counted = local.client();
    const sent: string[] = [];
    counted.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );
    const guard = seedBudgetGuard(createDynamoBudgetStore(counted, table), {
      seed: cfg,
      now: clock.now,
      emit: async () => undefined,
    });
    return { guard, sent, counted };
  }

  it('reserves within the cap, refuses past it with BUDGET_EXCEEDED, and settles to the actual cost', async () => {
    // Prepare
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const guard = setup(table, config({ acme: { dailyCapMicroUsd: 1000 } }), clock);

    // Act
    const first = await guard.reserve('acme', 600, 'r1');
    const second = await guard.reserve('acme', 500, 'r2');
    await guard.settle('acme', 'r1', 450);
    const third = await guard.reserve('acme', 500, 'r3');

    // Assess
    expect(first).toMatchObject({ ok: true, reservationId: 'r1', duplicate: false });
    // Settled spend (0) + 500 fits the cap: only r1's open reservation stands in the way, so it waits.
    expect(second).toMatchObject({
      ok: false,
      verdict: 'pending',
      period: 'day',
      capMicroUsd: 1000,
      tier: 'standard',
    });
    expect(third.ok).toBe(true);
    const day = counter(await scan(table), 'acme', 'DAY#2026-11-24');
    expect(day).toMatchObject({ spentMicroUsd: 450, reservedMicroUsd: 500, committedMicroUsd: 950 });
  });

  it('counts spend that already happened once per id, past the cap if need be, and refuses the next call', async () => {
    // Prepare
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const events: OutcomeEvent[] = [];
    const guard = setup(table, config({ acme: { dailyCapMicroUsd: 1000 } }), clock, events);

    // Act: DLP calls worth 1 200 µUSD, recorded three times (a retried step)
    const first = await guard.recordSpend('acme', 1200, 'exec-1#DlpCheck');
    const again = await Promise.all([
      guard.recordSpend('acme', 1200, 'exec-1#DlpCheck'),
      guard.recordSpend('acme', 1200, 'exec-1#DlpCheck'),
    ]);
    const next = await guard.reserve('acme', 10, 'exec-2#InvokeModel');

    // Assess
    expect(first.recorded).toBe(true);
    expect(again.map((r) => r.recorded)).toEqual([false, false]);
    const day = counter(await scan(table), 'acme', 'DAY#2026-11-24');
    expect(day).toMatchObject({ spentMicroUsd: 1200, reservedMicroUsd: 0, committedMicroUsd: 1200 });
    expect(next).toMatchObject({ ok: false, verdict: 'exceeded', rejection: { reason: 'BUDGET_EXCEEDED' } });
    const crossed = events
      .map((e) => e.detail as { period: string; thresholdPercent: number })
      .filter((d) => d.period === 'day')
      .map((d) => d.thresholdPercent);
    expect(crossed).toEqual([50, 80, 100]);
  });

  it('refuses an estimate larger than the cap without touching the table', async () => {
    // Prepare
    const table = await freshTable();
    const guard = setup(
      table,
      config({ acme: { dailyCapMicroUsd: 100 } }),
      new Clock(Date.parse('2026-11-24T10:00:00Z')),
    );

    // Act
    const result = await guard.reserve('acme', 101, 'too-big');

    // Assess
    expect(result.ok).toBe(false);
    expect(await scan(table)).toEqual([]);
  });

  it('makes reserve, settle and release safe to repeat', async () => {
    // Prepare
    const table = await freshTable();
    const guard = setup(table, config({}), new Clock(Date.parse('2026-11-24T10:00:00Z')));

    // Act
    await guard.reserve('acme', 300, 'a');
    const again = await guard.reserve('acme', 300, 'a');
    const settled = await guard.settle('acme', 'a', 200);
    const settledAgain = await guard.settle('acme', 'a', 200);
    const releaseAfterSettle = await guard.release('acme', 'a');
    await guard.reserve('acme', 700, 'b');
    const released = await guard.release('acme', 'b');
    const releasedAgain = await guard.release('acme', 'b');

    // Assess
    expect(again).toMatchObject({ ok: true, duplicate: true });
    expect([settled.settled, settledAgain.settled, releaseAfterSettle.released]).toEqual([
      true,
      false,
      false,
    ]);
    expect([released.released, releasedAgain.released]).toEqual([true, false]);
    const items = await scan(table);
    expect(counter(items, 'acme', 'DAY#2026-11-24')).toMatchObject({
      spentMicroUsd: 200,
      reservedMicroUsd: 0,
      committedMicroUsd: 200,
    });
    expect(items.filter((i) => i.type === 'reservation-active')).toEqual([]);
  });

  it('settles what reserve wrote without reading it first, and reads it when it changed since', async () => {
    // Prepare: a client that counts the requests the guard sends
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const { guard, sent, counted } = countingGuard(table, config({}), clock);
    const fresh = await guard.reserve('acme', 300, 'fresh');
    const expiring = await guard.reserve('acme', 500, 'expiring');
    const rewritten = await guard.reserve('acme', 100, 'rewritten');
    await guard.release('acme', 'rewritten');
    const again = await guard.reserve('acme', 700, 'rewritten');
    if (!fresh.ok || !expiring.ok || !rewritten.ok || !again.ok) throw new Error('reserve refused');

    // Act: as reserve wrote it; again (a retried RecordCost); after it expired; with a stale write's copy
    sent.length = 0;
    const settled = await guard.settle('acme', 'fresh', 250, fresh.held);
    const readsWhenUnchanged = sent.filter((command) => command === 'GetItemCommand').length;
    const repeated = await guard.settle('acme', 'fresh', 250, fresh.held);
    clock.advance(61_000);
    await guard.reserve('acme', 1, 'someone-else');
    const late = await guard.settle('acme', 'expiring', 400, expiring.held);
    const stale = await guard.settle('acme', 'rewritten', 600, rewritten.held);

    // Assess: one transaction and the spend read, no reservation read; every other case settles as before
    counted.destroy();
    expect(fresh.held).toMatchObject({
      amountMicroUsd: 300,
      periods: [{ period: 'day' }, { period: 'month' }],
    });
    expect(readsWhenUnchanged).toBe(2);
    expect([settled.settled, repeated.settled, late.settled, stale.settled]).toEqual([
      true,
      false,
      true,
      true,
    ]);
    const items = await scan(table);
    // Spent: 250 + 400 + 600; still reserved: someone-else's 1 (the stale copy's 100 is not taken off twice).
    expect(counter(items, 'acme', 'DAY#2026-11-24')).toMatchObject({
      spentMicroUsd: 1250,
      reservedMicroUsd: 1,
      committedMicroUsd: 1251,
    });
    expect(items.find((i) => i.reservationId === 'rewritten' && i.type === 'reservation')).toMatchObject({
      state: 'settled',
      actualMicroUsd: 600,
    });
  });

  it('queries the reservations only when the caps refuse: an expired hold is then released and the reserve fits', async () => {
    // Prepare: a killed execution's hold fills the cap, and a client that counts the requests
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const { guard, sent, counted } = countingGuard(
      table,
      config({ acme: { dailyCapMicroUsd: 1000 } }),
      clock,
    );
    sent.length = 0;
    const withRoom = await guard.reserve('acme', 100, 'with-room');
    const queriesWithRoom = sent.filter((command) => command === 'QueryCommand').length;
    await guard.reserve('acme', 800, 'killed');
    clock.advance(61_000);

    // Act
    sent.length = 0;
    const held = await guard.reserve('acme', 800, 'next');

    // Assess: no query while there was room; once refused, the expired holds were released and it fits
    counted.destroy();
    expect(withRoom.ok).toBe(true);
    expect(queriesWithRoom).toBe(0);
    expect(held.ok).toBe(true);
    expect(sent.filter((command) => command === 'QueryCommand')).toHaveLength(1);
    expect(counter(await scan(table), 'acme', 'DAY#2026-11-24')).toMatchObject({ reservedMicroUsd: 800 });
  });

  it('releases a reservation left by a killed execution once it expires, so the tenant is not blocked', async () => {
    // Prepare: the killed execution holds almost the whole daily cap and never settles.
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const guard = setup(table, config({ acme: { dailyCapMicroUsd: 1000 } }), clock);
    await guard.reserve('acme', 900, 'killed');
    const whileHeld = await guard.reserve('acme', 200, 'next-1');

    // Act: the reservation TTL (60 s) passes.
    clock.advance(61_000);
    const afterExpiry = await guard.reserve('acme', 200, 'next-2');

    // Assess
    expect(whileHeld.ok).toBe(false);
    expect(afterExpiry.ok).toBe(true);
    const items = await scan(table);
    expect(items.find((i) => i.reservationId === 'killed' && i.type === 'reservation')).toMatchObject({
      state: 'expired',
    });
    expect(counter(items, 'acme', 'DAY#2026-11-24')).toMatchObject({
      reservedMicroUsd: 200,
      committedMicroUsd: 200,
    });
  });

  it('still records the spend of an execution that settles after its reservation expired', async () => {
    // Prepare
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const guard = setup(table, config({}), clock);
    await guard.reserve('acme', 500, 'slow');
    clock.advance(61_000);
    await guard.reserve('acme', 1, 'someone-else');

    // Act
    const late = await guard.settle('acme', 'slow', 400);

    // Assess
    expect(late.settled).toBe(true);
    const day = counter(await scan(table), 'acme', 'DAY#2026-11-24');
    expect(day).toMatchObject({ spentMicroUsd: 400, reservedMicroUsd: 1, committedMicroUsd: 401 });
  });

  it('never lets parallel reservations commit more than the cap', async () => {
    // Prepare: 60 executions race for a cap that fits 33 of them.
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const guard = setup(table, config({ acme: { dailyCapMicroUsd: 1_000_000 } }), clock);

    // Act
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => guard.reserve('acme', 30_000, `race-${i}`)),
    );

    // Assess
    expect(results.filter((r) => r.ok)).toHaveLength(33);
    // Nothing is settled yet: every refused one waits rather than ending budget_exceeded.
    expect(results.filter((r) => !r.ok && r.verdict === 'pending')).toHaveLength(27);
    const day = counter(await scan(table), 'acme', 'DAY#2026-11-24');
    expect(day).toMatchObject({ reservedMicroUsd: 990_000, committedMicroUsd: 990_000 });
  });

  it("lets a run of underestimated calls pass the cap by at most one call's estimate error", async () => {
    // Prepare: every call costs 300 more than its 1000 estimate; the daily cap is 5000.
    const table = await freshTable();
    const guard = setup(
      table,
      config({ acme: { dailyCapMicroUsd: 5000 } }),
      new Clock(Date.parse('2026-11-24T10:00:00Z')),
    );
    let accepted = 0;

    // Act
    for (let i = 0; i < 10; i += 1) {
      const reservation = await guard.reserve('acme', 1000, `under-${i}`);
      if (!reservation.ok) continue;
      accepted += 1;
      await guard.settle('acme', `under-${i}`, 1300);
    }

    // Assess: after 3 calls (3900) a fourth 1000 still fits and costs 1300 → 5200; the fifth is refused.
    expect(accepted).toBe(4);
    const day = counter(await scan(table), 'acme', 'DAY#2026-11-24');
    expect(Number(day?.spentMicroUsd)).toBe(5200);
    expect(Number(day?.spentMicroUsd) - 5000).toBeLessThanOrEqual(300);
  });

  it('emits each threshold crossing exactly once per tenant and period under concurrent settles', async () => {
    // Prepare
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const events: OutcomeEvent[] = [];
    const guard = setup(
      table,
      config({ acme: { dailyCapMicroUsd: 1000, monthlyCapMicroUsd: 1500 } }),
      clock,
      events,
    );
    const ids = Array.from({ length: 20 }, (_, i) => `t-${i}`);
    const reserved = await Promise.all(ids.map((id) => guard.reserve('acme', 50, id)));

    // Act
    await Promise.all(ids.map((id) => guard.settle('acme', id, 50)));
    await Promise.all(ids.map((id) => guard.settle('acme', id, 50)));

    // Assess
    expect(reserved.every((r) => r.ok)).toBe(true);
    const crossings = events.map((e) => {
      const d = e.detail as BudgetThresholdDetail;
      return `${d.period}:${d.thresholdPercent}`;
    });
    expect(crossings.sort()).toEqual(['day:100', 'day:50', 'day:80', 'month:50']);
    expect(events.every((e) => e.detailType === BUDGET_THRESHOLD_DETAIL_TYPE)).toBe(true);
    expect(events[0]?.detail).toMatchObject({
      tenant: 'acme',
      tier: 'standard',
      budgetConfigVersion: 'test-1/r0',
    });
  });

  it('gives a threshold claim back when the event could not be sent, so it is sent later', async () => {
    // Prepare
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const sent: OutcomeEvent[] = [];
    let failNext = true;
    const guard = seedBudgetGuard(createDynamoBudgetStore(client, table), {
      seed: config({ acme: { dailyCapMicroUsd: 100, monthlyCapMicroUsd: 1_000_000 } }),
      now: clock.now,
      emit: async (event) => {
        if (failNext) {
          failNext = false;
          throw new Error('EventBridge unavailable');
        }
        sent.push(event);
      },
    });
    await guard.reserve('acme', 60, 'x');

    // Act
    const firstTry = await guard.settle('acme', 'x', 60).catch((e: unknown) => e);
    const retry = await guard.settle('acme', 'x', 60);

    // Assess
    expect(firstTry).toBeInstanceOf(Error);
    expect(retry.settled).toBe(false);
    expect(sent.map((e) => (e.detail as BudgetThresholdDetail).thresholdPercent)).toEqual([50]);
  });

  it('keeps ledger, aggregates and budgets in agreement across tenants with retries, duplicates and killed executions', async () => {
    // Prepare
    const table = await freshTable();
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const cfg = config({
      acme: { dailyCapMicroUsd: 400_000 },
      globex: { dailyCapMicroUsd: 250_000 },
      initech: { dailyCapMicroUsd: 1_000_000 },
    });
    const guard = setup(table, cfg, clock);
    const ledger = createDynamoLedger(client, table, { now: clock.now });
    const tenants = ['acme', 'globex', 'initech'];
    const plans = tenants.flatMap((tenant) =>
      Array.from({ length: 25 }, (_, i) => ({
        tenant,
        i,
        estimate: 20_000 + (i % 5) * 1000,
        // Actual cost never above the estimate (the estimator errs high) except for a few.
        actual: i % 6 === 0 ? 20_000 + (i % 5) * 1000 + 500 : 15_000 + (i % 4) * 1000,
        fate: i % 9 === 4 ? 'killed' : i % 9 === 7 ? 'failed' : 'ok',
      })),
    );

    const settled: (typeof plans)[number][] = [];
    async function execute(plan: (typeof plans)[number]): Promise<void> {
      const executionId = `${plan.tenant}-exec-${plan.i}`;
      const reservationId = `${executionId}#InvokeModel`;
      const reservation = await guard.reserve(plan.tenant, plan.estimate, reservationId);
      if (!reservation.ok || plan.fate === 'killed') return;
      if (plan.fate === 'failed') {
        await guard.release(plan.tenant, reservationId);
        return;
      }
      const entry: LedgerEntry = {
        id: `${executionId}#InvokeModel#req_${plan.i}`,
        tenant: plan.tenant,
        task: 'describe@1',
        kind: 'model_call',
        model: 'gpt-4o',
        route: 'openai:gpt-4o',
        priceTableVersion: 'test',
        tokens: { textIn: 1, cachedIn: 0, imageIn: 0, audioIn: 0, textOut: 1, audioOut: 0 },
        costMicroUsd: plan.actual,
        estimateMicroUsd: plan.estimate,
        requestIds: [`req_${plan.i}`],
        executionId,
        objectKeyHash: 'h',
        createdAt: clock.now().toISOString(),
      };
      // A duplicate S3 event and a retried step: the same ledger id and the same settle, twice more.
      await Promise.all([ledger.record(entry), ledger.record(entry), ledger.record(entry)]);
      await Promise.all([
        guard.settle(plan.tenant, reservationId, plan.actual),
        guard.settle(plan.tenant, reservationId, plan.actual),
      ]);
      settled.push(plan);
    }

    // Act
    await Promise.all(plans.map(execute));
    clock.advance(61_000);
    // The sweeper's run: the killed executions' holds are released once they expire.
    await Promise.all(tenants.map((t) => guard.reclaimExpired(t)));

    // Assess
    const items = await scan(table);
    for (const tenant of tenants) {
      const ledgerItems = items.filter((i) => i.type === 'ledger' && i.tenant === tenant);
      const ledgerSum = ledgerItems.reduce((s, i) => s + Number(i.costMicroUsd), 0);
      const aggregate = items.find((i) => i.pk === `TENANT#${tenant}` && i.sk === 'AGG#DAY#TOTAL#2026-11-24');
      const budget = counter(items, tenant, 'DAY#2026-11-24');
      const cap = tenant === 'acme' ? 400_000 : tenant === 'globex' ? 250_000 : 1_000_000;
      // The most a cap can be passed by: the estimate errors of calls that were in flight together.
      const maxError = settled
        .filter((p) => p.tenant === tenant)
        .reduce((s, p) => s + Math.max(0, p.actual - p.estimate), 0);
      expect(new Set(ledgerItems.map((i) => i.id)).size).toBe(ledgerItems.length);
      expect(Number(aggregate?.costMicroUsd ?? 0)).toBe(ledgerSum);
      expect(Number(aggregate?.items ?? 0)).toBe(ledgerItems.length);
      expect(Number(budget?.spentMicroUsd)).toBe(ledgerSum);
      expect(Number(budget?.reservedMicroUsd)).toBe(0);
      expect(Number(budget?.committedMicroUsd)).toBe(ledgerSum);
      expect(ledgerSum).toBeLessThanOrEqual(cap + maxError);
      expect(plans.some((p) => p.tenant === tenant && !settled.includes(p) && p.fate === 'ok')).toBe(
        tenant !== 'initech',
      );
    }
    expect(items.filter((i) => i.type === 'reservation' && i.state === 'reserved')).toHaveLength(0);
    expect(items.filter((i) => i.type === 'reservation' && i.state === 'expired').length).toBeGreaterThan(0);
  });

  /**
   * Items that race for a cap, as the pipeline runs them: reserve; on `pending` wait a moment and ask
   * again (the state machine parks the item); on `exceeded` stop; once admitted, "call the model" and
   * settle to the actual cost. Returns each item's fate.
   */
  async function race(
    table: string,
    cap: number,
    items: readonly { estimate: number; actual: number }[],
  ): Promise<{ spent: number; fates: ('processed' | 'exceeded')[]; waits: number }> {
    const guard = seedBudgetGuard(createDynamoBudgetStore(client, table), {
      seed: config({ acme: { dailyCapMicroUsd: cap, monthlyCapMicroUsd: cap * 10 } }),
    });
    let waits = 0;
    // Every item asks once before any admitted one settles: they really are in flight together.
    let firstAsks = 0;
    let allAsked: () => void = () => {};
    const everyoneAsked = new Promise<void>((resolve) => {
      allAsked = resolve;
    });
    const fates = await Promise.all(
      items.map(async ({ estimate, actual }, i) => {
        for (let ask = 0; ; ask += 1) {
          const held = await guard.reserve('acme', estimate, `race-${i}#InvokeModel`);
          if (ask === 0 && ++firstAsks === items.length) allAsked();
          if (held.ok) {
            await everyoneAsked;
            await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 30));
            await guard.settle('acme', `race-${i}#InvokeModel`, actual);
            return 'processed' as const;
          }
          if (held.verdict === 'exceeded') return 'exceeded' as const;
          waits += 1;
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
        }
      }),
    );
    const day = counter(await scan(table), 'acme', `DAY#${new Date().toISOString().slice(0, 10)}`);
    expect(Number(day?.reservedMicroUsd)).toBe(0);
    return { spent: Number(day?.spentMicroUsd ?? 0), fates, waits };
  }

  it('50 concurrent items: spend never passes the cap and stops within one item of it', async () => {
    // Prepare: 50 items of 20–60 k µUSD, each costing exactly its estimate, for a cap that fits ~25.
    const table = await freshTable();
    const cap = 1_000_000;
    const items = Array.from({ length: 50 }, (_, i) => {
      const estimate = 20_000 + ((i * 7919) % 41) * 1000;
      return { estimate, actual: estimate };
    });

    // Act
    const { spent, fates, waits } = await race(table, cap, items);

    // Assess: within the cap, and no item refused while the cap still had room for it
    expect(spent).toBeLessThanOrEqual(cap);
    const refused = items.filter((_, i) => fates[i] === 'exceeded');
    expect(refused.length).toBeGreaterThan(0);
    for (const item of refused) expect(spent + item.actual).toBeGreaterThan(cap);
    expect(spent).toBeGreaterThanOrEqual(cap - Math.max(...items.map((item) => item.actual)));
    // The race was real: items had to wait for others' reservations to settle.
    expect(waits).toBeGreaterThan(0);
  });

  it('refuses only real overspend when items cost less than their reservations (the 12-photo case)', async () => {
    // Prepare: 12 photos, each reserved at the dearest path (100 k) and costing 40 k; the cap fits ~3 estimates.
    const table = await freshTable();
    const cap = 300_000;
    const items = Array.from({ length: 12 }, () => ({ estimate: 100_000, actual: 40_000 }));

    // Act
    const { spent, fates } = await race(table, cap, items);

    // Assess: refusing on open reservations would stop after 3 (120 k, 40 % of the cap). Waiting for
    // them instead, items run while settled spend + 100 k ≤ 300 k: 6 run (240 k); the seventh is refused.
    expect(fates.filter((f) => f === 'processed')).toHaveLength(6);
    expect(spent).toBe(240_000);
    expect(spent).toBeLessThanOrEqual(cap);
    expect(spent + 100_000).toBeGreaterThan(cap);
  });

  it('sweeps expired reservations of every tenant on a schedule, not only on the next reserve', async () => {
    // Prepare: two tenants' executions die holding reservations; nobody reserves again.
    tableCount += 1;
    const table = `sweep-${tableCount}`;
    await createStateTable(client, table);
    const clock = new Clock(Date.parse('2026-11-24T10:00:00Z'));
    const store = createDynamoBudgetStore(client, table);
    const guard = seedBudgetGuard(store, { seed: config({}), now: clock.now });
    await guard.reserve('acme', 500, 'dead-1');
    await guard.reserve('globex', 700, 'dead-2');
    await guard.reserve('globex', 100, 'alive');
    clock.advance(30_000);
    await guard.reserve('globex', 50, 'later');

    // Act: before and after the 60 s TTL of the first three
    const early = await store.sweepExpired({ now: clock.now().toISOString() });
    clock.advance(31_000);
    const swept = await store.sweepExpired({ now: clock.now().toISOString() });
    const again = await store.sweepExpired({ now: clock.now().toISOString() });

    // Assess
    expect([early, swept, again]).toEqual([0, 3, 0]);
    const items = await scan(table);
    expect(counter(items, 'acme', 'DAY#2026-11-24')).toMatchObject({ reservedMicroUsd: 0 });
    expect(counter(items, 'globex', 'DAY#2026-11-24')).toMatchObject({ reservedMicroUsd: 50 });
    expect(items.filter((i) => i.type === 'reservation-active').map((i) => i.reservationId)).toEqual([
      'later',
    ]);
  });
});
