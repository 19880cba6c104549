/**
 * Tenants changed at run time on one running local stack (no restart): rate limits that park items
 * instead of rejecting them, `429` on the synchronous path, identity-bound presigning, and a cap that
 * applies to the next item. The registry is changed the way `mediagate tenants … --aws --table` does
 * it against the stack `mediagate up` runs: the CLI's own function, the real SDK client, the stack's
 * DynamoDB.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTenantsCommand, type TenantsOptions } from '../../cli/commands/tenants.js';
import { createDynamoBudgetStore } from '../../functions/adapters/dynamodb-budget-store.js';
import { createDynamoTenantRegistry } from '../../functions/adapters/dynamodb-tenant-registry.js';
import type { PipelineState } from '../../functions/pipeline/document.js';
import { LOCAL_PRINCIPAL_HEADER } from '../../infra/local/presign-server.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { seedBudgetGuard } from '../fixtures/budget-guard.js';
import { localDynamo, upload } from './local-stack-client.js';

/**
 * 10x: a 2-per-minute limit frees a request every 3 s (slower than a loaded machine gets an item through
 * its media steps, so the items really meet the limit); the 5 s first park wait is 500 ms; the 5-minute
 * reservation sweep runs every 30 s.
 */
const TIME_SCALE = 10;

let photos = 0;
async function photo(): Promise<Buffer> {
  photos += 1;
  return sharp({
    create: { width: 400, height: 300, channels: 3, background: { r: (photos * 37) % 256, g: 60, b: 200 } },
  })
    .jpeg()
    .toBuffer();
}

describe('tenant limits on a running local stack', () => {
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-limits-'));
    stack = await startLocalStack({ stateDir, timeScale: TIME_SCALE });
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  async function tenants(action: string, tenant: string, options: TenantsOptions = {}): Promise<void> {
    const client = localDynamo(stack);
    try {
      const store = createDynamoTenantRegistry(client, stack.environment.STATE_TABLE ?? '');
      await runTenantsCommand(store, action, tenant, { actor: 'test', json: true, ...options }, () => {});
    } finally {
      client.destroy();
    }
  }

  /** Past the steps' registry cache (1 s locally), so the next item reads the change. */
  const afterCache = () => new Promise((resolve) => setTimeout(resolve, 1200));

  it('parks items over a 2 rpm limit instead of rejecting them, spreads them out, and says how long each waited', async () => {
    // Prepare
    await tenants('set', 'slow', { rpm: '2' });

    // Act: six distinct photos at once
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const key = await upload(stack, await photo(), 'image/jpeg', { tenant: 'slow' });
        const event = await stack.waitForOutcome(key, 120_000);
        return { state: event.detail as PipelineState, at: performance.now() - started };
      }),
    );

    // Assess: all processed, none rejected; a burst of two, then one every 30 s of world time
    expect(outcomes.map((o) => o.state.status)).toEqual(Array(6).fill('processed'));
    const waits = outcomes.map((o) => o.state.admission?.waitedMs ?? 0).sort((a, b) => a - b);
    expect(waits.filter((ms) => ms > 0).length).toBeGreaterThanOrEqual(3);
    // A bucket of 2 refilled at 1 every 3 s lets 6 through in no less than 12 s: 2 at once, then 1 every 3 s.
    const admitted = outcomes
      .map((o) => Date.parse(o.state.admission?.admittedAt ?? ''))
      .sort((a, b) => a - b);
    expect((admitted[5] ?? 0) - (admitted[0] ?? 0)).toBeGreaterThanOrEqual(11_900);
    for (let k = 2; k < 6; k += 1)
      expect((admitted[k] ?? 0) - (admitted[k - 2] ?? 0)).toBeGreaterThanOrEqual(2900);
  }, 240_000);

  it('answers 429 with Retry-After on the synchronous path once the rate is spent', async () => {
    // Prepare
    await tenants('set', 'sync-slow', { rpm: '1' });
    const analyze = async () => {
      const url = new URL('v1/analyze', stack.endpoints.analyze);
      url.searchParams.set('tenant', 'sync-slow');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: new Uint8Array(await photo()),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: await response.json(),
      };
    };

    // Act
    const first = await analyze();
    const second = await analyze();

    // Assess
    expect(first.status).toBe(200);
    expect(second).toMatchObject({ status: 429, body: { status: 'failed', reason: 'RATE_LIMITED' } });
    expect(Number(second.retryAfter)).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('applies a new cap to the next item, with no restart, and lifts it the same way', async () => {
    // Act
    await tenants('set', 'live', { dailyCapUsd: '0.001' });
    const refused = await stack.waitForOutcome(
      await upload(stack, await photo(), 'image/jpeg', { tenant: 'live' }),
    );
    await tenants('set', 'live', { dailyCapUsd: '5' });
    await afterCache();
    const processed = await stack.waitForOutcome(
      await upload(stack, await photo(), 'image/jpeg', { tenant: 'live' }),
    );

    // Assess
    expect(refused.detail).toMatchObject({ status: 'budget_exceeded', reason: 'BUDGET_EXCEEDED' });
    expect((refused.detail as PipelineState).model).toBeUndefined();
    expect(processed.detail).toMatchObject({ status: 'processed' });
  }, 240_000);

  it("derives the tenant from the caller's principal at presign and refuses a body that names another", async () => {
    // Prepare
    await tenants('set', 'bound', { principal: ['arn:aws:iam::123456789012:role/bound-app'] });
    await tenants('set', 'frozen', { principal: ['arn:aws:iam::123456789012:role/frozen-app'] });
    await tenants('suspend', 'frozen');
    const presign = async (principal: string | undefined, body: Record<string, unknown>) => {
      const response = await fetch(stack.endpoints.presign, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(principal ? { [LOCAL_PRINCIPAL_HEADER]: principal } : {}),
        },
        body: JSON.stringify({ contentType: 'image/jpeg', ...body }),
      });
      return { status: response.status, body: (await response.json()) as { key?: string; reason?: string } };
    };
    const session = 'arn:aws:sts::123456789012:assumed-role/bound-app/i-0abc';

    // Act
    const own = await presign(session, {});
    const named = await presign(session, { tenant: 'bound' });
    const other = await presign(session, { tenant: 'acme' });
    const frozen = await presign('arn:aws:sts::123456789012:assumed-role/frozen-app/x', {});
    const unsigned = await presign(undefined, { tenant: 'acme' });
    // The synchronous API checks the caller the same way.
    const analyzeUrl = new URL('v1/analyze?tenant=acme', stack.endpoints.analyze);
    const syncOther = await fetch(analyzeUrl, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', [LOCAL_PRINCIPAL_HEADER]: session },
      body: new Uint8Array(await photo()),
    });

    // Assess
    expect(own).toMatchObject({ status: 200, body: { key: expect.stringMatching(/^incoming\/bound\//) } });
    expect(named.status).toBe(200);
    expect(other).toMatchObject({ status: 403, body: { reason: 'TENANT_MISMATCH' } });
    expect(frozen).toMatchObject({ status: 403, body: { reason: 'TENANT_SUSPENDED' } });
    expect(syncOther.status).toBe(403);
    expect(await syncOther.json()).toMatchObject({ reason: 'TENANT_MISMATCH' });
    // The local stack lets an unsigned caller name its tenant (MEDIAGATE_TENANT_BINDING=optional).
    expect(unsigned).toMatchObject({
      status: 200,
      body: { key: expect.stringMatching(/^incoming\/acme\//) },
    });
  }, 240_000);

  it("gives back a dead execution's reservation on the stack's own sweep schedule, with no further reserve", async () => {
    // Prepare: an execution reserves and dies; its reservation lapses in one second
    const client = localDynamo(stack);
    const table = stack.environment.STATE_TABLE ?? '';
    const store = createDynamoBudgetStore(client, table);
    const guard = seedBudgetGuard(store);
    const expiresAt = new Date(Date.now() + 1000).toISOString();
    const held = await guard.reserve('abandoned', 100_000, 'dead-exec#InvokeModel', expiresAt);
    expect(held.ok).toBe(true);

    // Act: nobody reserves for this tenant again; wait for the schedule (5 min at 10x = 30 s)
    const deadline = Date.now() + 75_000;
    let state: unknown;
    while (Date.now() < deadline) {
      const got = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: 'TENANT#abandoned#RESERVATION' }, sk: { S: 'RES#dead-exec#InvokeModel' } },
          ConsistentRead: true,
        }),
      );
      state = got.Item?.state?.S;
      if (state === 'expired') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    client.destroy();

    // Assess
    expect(state).toBe('expired');
  }, 240_000);
});
