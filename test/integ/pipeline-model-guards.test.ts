/**
 * The model step's guards, through the whole local pipeline (presigned POST → S3 event → state machine →
 * handlers → outcome event): the media-hash cache, tenant budgets reserved before the call, and an
 * OpenAI outage that parks items behind the shared breaker until the simulator recovers.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoBudgetStore } from '../../functions/adapters/dynamodb-budget-store.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { speechWav } from '../../scripts/make-fixtures.js';
import { seedBudgetGuard } from '../fixtures/budget-guard.js';
import { busEvents, ledgerItems, localDynamo, upload } from './local-stack-client.js';

async function photo(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 1200, height: 900, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
}

async function process(
  stack: LocalStack,
  bytes: Buffer,
  tenant: string,
  task?: string,
): Promise<PipelineState> {
  const key = await upload(stack, bytes, 'image/jpeg', { tenant, ...(task ? { task } : {}) });
  return (await stack.waitForOutcome(key)).detail as PipelineState;
}

/** Spends on the tenant's budget as earlier items would have: a reservation settled to its amount. */
async function spend(stack: LocalStack, tenant: string, microUsd: number, id: string): Promise<void> {
  const client = localDynamo(stack);
  try {
    const guard = seedBudgetGuard(createDynamoBudgetStore(client, stack.environment.STATE_TABLE ?? ''));
    const held = await guard.reserve(tenant, microUsd, id);
    if (!held.ok) throw new Error(`could not pre-spend: ${held.rejection.reason}`);
    await guard.settle(tenant, id, microUsd);
  } finally {
    client.destroy();
  }
}

describe('the model step guards on the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-guards-'));
    stack = await startLocalStack({
      stateDir,
      // The rehearsal clock at 600x: the ASL's park retries (30 s doubling to 10 min, 2 h in all) take
      // 50 ms doubling to 1 s, 12 s in all, and outlast the probes below; cool-downs shrink alike.
      timeScale: 600,
      environment: {
        // Fewer attempts and a lower threshold than deployed (world time; the clock compresses them too).
        MEDIAGATE_RETRY_POLICY: JSON.stringify({ maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 }),
        MEDIAGATE_BREAKER_POLICY: JSON.stringify({
          failureThreshold: 2,
          stateCacheMs: 0,
        }),
      },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('answers a repeated upload of the same photo from the cache, at zero cost and with no model call', async () => {
    // Prepare
    const bytes = await photo('#3a6');
    const first = await process(stack, bytes, 'cache-tenant');
    const callsAfterFirst = stack.simulator?.requests.length ?? 0;

    // Act
    const second = await process(stack, bytes, 'cache-tenant');

    // Assess
    expect(first.status).toBe('processed');
    expect(first.model?.cached).toBe(false);
    expect(second.status).toBe('processed');
    expect(second.model?.cached).toBe(true);
    expect(second.cost?.costMicroUsd).toBe(0);
    expect(stack.simulator?.requests.length).toBe(callsAfterFirst);
    const kinds = (await ledgerItems(stack, 'cache-tenant')).map((item) => item.kind?.S).sort();
    expect(kinds).toEqual(['cache_hit', 'model_call']);
  });

  it('never serves one tenant the answer cached for another', async () => {
    // Prepare
    const bytes = await photo('#a36');
    await process(stack, bytes, 'tenant-one');
    const callsBefore = stack.simulator?.requests.length ?? 0;

    // Act
    const other = await process(stack, bytes, 'tenant-two');

    // Assess
    expect(other.model?.cached).toBe(false);
    expect(stack.simulator?.requests.length).toBe(callsBefore + 1);
  });

  it('emits one threshold event when spend crosses 50 %, then ends budget_exceeded with no model call at the cap', async () => {
    // Prepare: "demo" is a trial tenant (1 USD a day, functions/money/budgets.json)
    await spend(stack, 'demo', 499_000, 'earlier-items');

    // Act
    const crossing = await process(stack, await photo('#36a'), 'demo');
    const below80 = await process(stack, await photo('#63a'), 'demo');
    await spend(
      stack,
      'demo',
      1_000_000 - 499_000 - (crossing.cost?.costMicroUsd ?? 0) - (below80.cost?.costMicroUsd ?? 0),
      'rest',
    );
    const callsBefore = stack.simulator?.requests.length ?? 0;
    const refused = await process(stack, await photo('#a63'), 'demo');

    // Assess
    expect(crossing.status).toBe('processed');
    expect(below80.status).toBe('processed');
    const crossings = busEvents(stack).filter(
      (event) => event.detailType === 'Budget Threshold Crossed' && event.detail.tenant === 'demo',
    );
    // 0.5 USD of a 1 USD day crosses 50 % of the day once; the month's cap is 10 USD.
    expect(crossings.map((event) => [event.detail.period, event.detail.thresholdPercent])).toEqual([
      ['day', 50],
    ]);
    expect(refused.status).toBe('budget_exceeded');
    expect(refused.reason).toBe('BUDGET_EXCEEDED');
    expect(refused.model).toBeUndefined();
    expect(stack.simulator?.requests.length).toBe(callsBefore);
    expect(await ledgerItems(stack, 'demo')).toHaveLength(2);
  });

  it('charges a refusal OpenAI billed, once, and ends the item rejected as MODEL_REFUSED', async () => {
    // Prepare: a 200 whose message is a refusal, which OpenAI bills like any completion
    stack.simulator?.setFaults('refusal-message');

    // Act
    const state = await process(stack, await photo('#5a5'), 'refused-tenant');

    // Assess
    expect(state.status).toBe('rejected');
    expect(state.reason).toBe('MODEL_REFUSED');
    const items = await ledgerItems(stack, 'refused-tenant');
    expect(items.map((item) => item.kind?.S)).toEqual(['model_call']);
    expect(Number(items[0]?.costMicroUsd?.N)).toBeGreaterThan(0);
    expect(state.cost?.costMicroUsd).toBe(Number(items[0]?.costMicroUsd?.N));
    expect(
      busEvents(stack).some(
        (e) => e.detailType === 'Media Rejected' && e.detail.executionId === state.executionId,
      ),
    ).toBe(true);
  });

  it('bills a voice note on a transcribe-first task as two ledger items: speech to text, then text', async () => {
    // Prepare: a tenant whose policy lets unscanned audio through (no offline recogniser)
    const wav = speechWav('call-back');

    // Act
    const key = await upload(stack, wav, 'audio/wav', {
      tenant: 'audio-unscanned-ok',
      task: 'summarize-voice-note',
    });
    const state = (await stack.waitForOutcome(key)).detail as PipelineState;

    // Assess
    expect(`${state.status} ${state.reason} ${state.message}`).toBe('processed undefined undefined');
    expect(state.model?.transcription?.model).toBe('gpt-4o-transcribe');
    const items = await ledgerItems(stack, 'audio-unscanned-ok');
    expect(items.map((item) => item.kind?.S).sort()).toEqual(['model_call', 'transcription']);
    const total = items.reduce((sum, item) => sum + Number(item.costMicroUsd?.N ?? 0), 0);
    expect(state.cost?.costMicroUsd).toBe(total);
    expect(state.cost?.ledgerIds).toHaveLength(2);
  });

  it('parks every item through an outage, opens and closes the breaker, and completes them all once, exactly once', async () => {
    // Prepare: ten 503s in a row. Four items with two attempts each can spend at most eight before they
    // park, so at least two are left for half-open probes: the breaker must go open → half-open (probe
    // fails) → open → half-open → closed. At most eight probes at ≤ 600 ms cool-downs fit the patience.
    stack.simulator?.setFaults('503*10');
    const items = await Promise.all(['#111', '#222', '#333', '#444'].map((colour) => photo(colour)));

    // Act
    // extract-fields routes only to gpt-4o (its secondary endpoint is not configured locally), so no
    // fallback can finish the items before the breaker has gone through half-open.
    const outcomes = await Promise.all(
      items.map((bytes) => process(stack, bytes, 'outage-tenant', 'extract-fields')),
    );

    // Assess
    expect(outcomes.map((state) => state.status)).toEqual([
      'processed',
      'processed',
      'processed',
      'processed',
    ]);
    const ledger = await ledgerItems(stack, 'outage-tenant');
    expect(ledger).toHaveLength(4);
    expect(new Set(ledger.map((item) => item.executionId?.S)).size).toBe(4);
    // The first-choice route opened, let one probe through after its cool-down, and closed on success.
    const primary = busEvents(stack)
      .filter(
        (event) =>
          event.detailType === 'Model Route Breaker Changed' && event.detail.route === 'gpt-4o-primary',
      )
      .map((event) => event.detail.to);
    expect(primary).toContain('open');
    expect(primary).toContain('half_open');
    expect(primary.at(-1)).toBe('closed');
    // No reservation is left holding the tenant's budget.
    const client = localDynamo(stack);
    const { QueryCommand } = await import('@aws-sdk/client-dynamodb');
    const active = await client.send(
      new QueryCommand({
        TableName: stack.environment.STATE_TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :active)',
        ExpressionAttributeValues: {
          ':pk': { S: 'TENANT#outage-tenant#RESERVATION' },
          ':active': { S: 'ACTIVE#' },
        },
      }),
    );
    client.destroy();
    expect(active.Items ?? []).toHaveLength(0);
  });
});
