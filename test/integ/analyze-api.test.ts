/**
 * `POST /v1/analyze` (what `mediagate serve` exposes) through every answer it gives, on the local stack:
 * the same Express definition the template deploys, the real handlers, the simulator.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTenantsCommand } from '../../cli/commands/tenants.js';
import { createDynamoBudgetStore } from '../../functions/adapters/dynamodb-budget-store.js';
import { createDynamoTenantRegistry } from '../../functions/adapters/dynamodb-tenant-registry.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { seedBudgetGuard } from '../fixtures/budget-guard.js';
import { localDynamo } from './local-stack-client.js';

/** Small enough for a test to send one over it without megabytes of fixture. */
const MAX_SYNC_BODY_BYTES = 400_000;

async function photo(colour: string, size = 800): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
}

async function analyze(
  stack: LocalStack,
  body: Buffer,
  contentType: string,
  query: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const url = new URL('v1/analyze', stack.endpoints.analyze);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new Uint8Array(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('POST /v1/analyze on the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediagate-analyze-'));
    stack = await startLocalStack({
      stateDir,
      timeScale: 240,
      environment: { MEDIAGATE_MAX_SYNC_BODY_BYTES: String(MAX_SYNC_BODY_BYTES) },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('answers GET /healthz', async () => {
    const response = await fetch(new URL('healthz', stack.endpoints.analyze));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it("answers 200 with the outcome and the model's answer, then from the cache", async () => {
    // Prepare
    const bytes = await photo('#2a6');

    // Act
    const first = await analyze(stack, bytes, 'image/jpeg', { tenant: 'rt', task: 'describe' });
    const again = await analyze(stack, bytes, 'image/jpeg', { tenant: 'rt', task: 'describe' });

    // Assess
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'processed',
      reason: null,
      cached: false,
      costSource: 'usage',
    });
    expect(String(first.body.answer)).toContain('simulated');
    expect(Number(first.body.costMicroUsd)).toBeGreaterThan(0);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      status: 'processed',
      cached: true,
      costMicroUsd: 0,
      answer: first.body.answer,
    });
    // Cache first: the repeat is answered right after sanitisation, with no resizing, OCR, DLP or model call.
    const stepsOfRepeat = (again.body.steps as { name: string }[]).map((step) => step.name);
    expect(stepsOfRepeat).toEqual(['ValidateAndStrip', 'RecordCost']);
    // It never went through the asynchronous pipeline: no upload event, no Standard execution.
    expect(String(first.body.key)).toMatch(/^realtime\/rt\//);
  });

  it('answers 413 with the presigned path for a body over the synchronous limit', async () => {
    const big = Buffer.alloc(MAX_SYNC_BODY_BYTES + 1, 0xff);
    const response = await analyze(stack, big, 'image/jpeg', { tenant: 'rt' });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({
      reason: 'TOO_LARGE',
      presign: { method: 'POST', url: stack.endpoints.presign },
    });
  });

  it('answers 415 for a file that is not an allowed type, whatever it claims', async () => {
    const response = await analyze(stack, Buffer.from('just text, not a JPEG'), 'image/jpeg', {
      tenant: 'rt',
    });
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ status: 'rejected', reason: 'UNSUPPORTED_TYPE' });
  });

  it('answers 422 for a task not in the catalogue, or one the tenant may not use, before any model call', async () => {
    // Prepare: "limited" may only classify
    const client = localDynamo(stack);
    const store = createDynamoTenantRegistry(client, stack.environment.STATE_TABLE ?? '');
    await runTenantsCommand(
      store,
      'set',
      'limited',
      { actor: 'test', json: true, tasks: 'classify' },
      () => {},
    );
    client.destroy();

    // Act
    const unknown = await analyze(stack, await photo('#3a6'), 'image/jpeg', {
      tenant: 'rt',
      task: 'no-such',
    });
    const notAllowed = await analyze(stack, await photo('#3a6'), 'image/jpeg', { tenant: 'limited' });

    // Assess: rejected where the upload is validated, with nothing after it
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ status: 'rejected', reason: 'UNKNOWN_TASK', costMicroUsd: 0 });
    expect(notAllowed.status).toBe(422);
    expect(notAllowed.body).toMatchObject({ status: 'rejected', reason: 'TASK_NOT_ALLOWED' });
    for (const response of [unknown, notAllowed]) {
      expect((response.body.steps as { name: string }[]).map((step) => step.name)).toEqual([
        'ValidateAndStrip',
      ]);
    }
  });

  it("answers 422 with the reason code when the tenant's DLP policy blocks the item", async () => {
    const form = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'samples', 'claim-form.png'));
    const response = await analyze(stack, form, 'image/png', { tenant: 'rt' });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ status: 'rejected', reason: 'PII_BLOCKED' });
    // Types only: no value of what was found travels back.
    expect(JSON.stringify(response.body)).not.toMatch(/\d{3}-\d{2}-\d{4}/);
  });

  it("answers 402 when the tenant's budget refuses the call", async () => {
    // Prepare: "demo" is a trial tenant (1 USD a day); spend all of it as earlier items would have
    const client = localDynamo(stack);
    const guard = seedBudgetGuard(createDynamoBudgetStore(client, stack.environment.STATE_TABLE ?? ''));
    const held = await guard.reserve('demo', 1_000_000, 'earlier-spend');
    if (!held.ok) throw new Error('could not pre-spend');
    await guard.settle('demo', 'earlier-spend', 1_000_000);
    client.destroy();

    // Act
    const response = await analyze(stack, await photo('#62a'), 'image/jpeg', { tenant: 'demo' });

    // Assess
    expect(response.status).toBe(402);
    expect(response.body).toMatchObject({ status: 'budget_exceeded', reason: 'BUDGET_EXCEEDED' });
  });

  it('answers 503 with Retry-After when the model is unavailable, instead of parking the request', async () => {
    // Prepare
    stack.simulator?.setFaults('503*60');

    // Act
    const response = await analyze(stack, await photo('#a62'), 'image/jpeg', { tenant: 'rt-outage' });
    stack.simulator?.setFaults('ok');

    // Assess
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.body).toMatchObject({ status: 'failed', reason: 'MODEL_UNAVAILABLE' });
  });
});
