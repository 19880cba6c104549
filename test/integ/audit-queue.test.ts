import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoAuditQueue } from '../../functions/adapters/dynamodb-audit-queue.js';
import { createAuditTrail } from '../../functions/audit/chain.js';
import { chainQueuedDecisions, createQueuedDecisionLog } from '../../functions/audit/queue.js';
import type { AuditDecision } from '../../functions/audit/record.js';
import { verifyTrail } from '../../functions/audit/verify.js';
import type { AuditHeadStore, AuditQueue, AuditRecordStore } from '../../functions/ports.js';
import { type AuditServers, startAuditServers } from './audit-servers.js';

const BUCKET = 'audit-queue-test';

function decision(tenant: string, item: number, at: Date, step = 'ValidateAndStrip'): AuditDecision {
  return {
    tenant,
    decisionId: `mg-${item}#0#${step}`,
    at: at.toISOString(),
    executionId: `mg-${item}`,
    objectKeyHash: `h${item}`,
    detail: { kind: 'validation', verdict: 'accepted', inputType: 'image/jpeg', removedCount: 0 },
  };
}

const chainedDecisionIds = async (records: AuditRecordStore, tenant: string) =>
  (await records.list(tenant)).map((body) => (JSON.parse(body) as AuditDecision).decisionId);

describe('the audit queue on the local servers', () => {
  let servers: AuditServers;
  let heads: AuditHeadStore;
  let records: AuditRecordStore;
  let queue: AuditQueue;

  beforeAll(async () => {
    servers = await startAuditServers(BUCKET);
    ({ heads, records } = servers);
    queue = createDynamoAuditQueue(servers.dynamo, 'state');
  });

  afterAll(async () => {
    await servers?.close();
  });

  it('chains every queued decision once, per tenant in the order decided, whatever order they were queued in', async () => {
    // Prepare: 3 tenants × 12 decisions, a second apart, queued all at once in shuffled order by 4 "Lambdas";
    // every fourth one queued again with a later `at` (a retried step asks for the same decision id)
    const logs = Array.from({ length: 4 }, () => createQueuedDecisionLog(queue));
    const start = Date.parse('2026-12-02T10:00:00Z');
    const decided = ['alpha', 'beta', 'gamma'].flatMap((tenant) =>
      Array.from({ length: 12 }, (_, n) => decision(tenant, n, new Date(start + n * 1000))),
    );
    const retries = decided
      .filter((_, n) => n % 4 === 0)
      .map((first) => ({ ...first, at: new Date(Date.parse(first.at) + 60_000).toISOString() }));
    const sends = [...decided, ...retries]
      .map((d, n) => ({ d, order: (n * 7919) % 53 }))
      .sort((a, b) => a.order - b.order);

    // Act
    await Promise.all(sends.map(({ d }, n) => logs[n % logs.length]?.append(d)));
    const result = await chainQueuedDecisions({
      queue,
      trail: createAuditTrail({ heads, records }),
      batch: 10,
    });

    // Assess: 12 records per tenant in the order decided, the chains verify, and the queue is empty
    expect(result).toEqual({ chained: decided.length + retries.length, tenants: 3 });
    for (const tenant of ['alpha', 'beta', 'gamma']) {
      expect(await chainedDecisionIds(records, tenant)).toEqual(
        Array.from({ length: 12 }, (_, n) => `mg-${n}#0#ValidateAndStrip`),
      );
      const verdict = await verifyTrail({ records, heads, publicKey: async () => undefined, tenant });
      expect(verdict).toMatchObject({ ok: true, records: 12, brokenAt: null });
    }
    expect(await queue.oldest(100)).toEqual([]);
  }, 180_000);

  it('removes a decision a dead chainer appended but left queued, without chaining it twice', async () => {
    // Prepare: the chainer appended the decision, then died before removing it from the queue
    const trail = createAuditTrail({ heads, records });
    const first = decision('crash', 1, new Date('2026-12-02T11:00:00Z'));
    const second = decision('crash', 2, new Date('2026-12-02T11:00:01Z'));
    await createQueuedDecisionLog(queue).append(first);
    await createQueuedDecisionLog(queue).append(second);
    await trail.append(first);

    // Act
    await chainQueuedDecisions({ queue, trail });

    // Assess
    expect(await chainedDecisionIds(records, 'crash')).toEqual([
      'mg-1#0#ValidateAndStrip',
      'mg-2#0#ValidateAndStrip',
    ]);
    expect(await queue.oldest(10)).toEqual([]);
  }, 60_000);

  it('keeps one chain when two chainers drain the same queue at once', async () => {
    // Prepare
    const log = createQueuedDecisionLog(queue);
    const start = Date.parse('2026-12-02T12:00:00Z');
    await Promise.all(
      Array.from({ length: 15 }, (_, n) => log.append(decision('twice', n, new Date(start + n * 1000)))),
    );

    // Act
    await Promise.all([
      chainQueuedDecisions({ queue, trail: createAuditTrail({ heads, records }), batch: 4 }),
      chainQueuedDecisions({ queue, trail: createAuditTrail({ heads, records }), batch: 4 }),
    ]);

    // Assess: every decision once; two writers may interleave, but the chain holds and nothing is queued
    const chained = await chainedDecisionIds(records, 'twice');
    expect([...chained].sort()).toEqual(
      Array.from({ length: 15 }, (_, n) => `mg-${n}#0#ValidateAndStrip`).sort(),
    );
    const verdict = await verifyTrail({ records, heads, publicKey: async () => undefined, tenant: 'twice' });
    expect(verdict).toMatchObject({ ok: true, records: 15, brokenAt: null });
    expect(await queue.oldest(10)).toEqual([]);
  }, 180_000);

  it('stops between passes when asked (a run near its timeout), and the next run chains the rest', async () => {
    // Prepare: 25 decisions of one tenant
    const log = createQueuedDecisionLog(queue);
    const start = Date.parse('2026-12-02T13:00:00Z');
    await Promise.all(
      Array.from({ length: 25 }, (_, n) => log.append(decision('backlog', n, new Date(start + n * 1000)))),
    );
    const trail = createAuditTrail({ heads, records });

    // Act: the first run may make one pass of 10; the second runs to the end
    let passes = 0;
    const first = await chainQueuedDecisions({ queue, trail, batch: 10, shouldStop: () => passes++ >= 1 });
    const second = await chainQueuedDecisions({ queue, trail, batch: 10 });

    // Assess
    expect(first).toEqual({ chained: 10, tenants: 1, stoppedEarly: true });
    expect(second).toEqual({ chained: 15, tenants: 1 });
    expect(await chainedDecisionIds(records, 'backlog')).toEqual(
      Array.from({ length: 25 }, (_, n) => `mg-${n}#0#ValidateAndStrip`),
    );
    expect(await queue.oldest(10)).toEqual([]);
  }, 60_000);
});
