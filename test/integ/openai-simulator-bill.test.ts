/**
 * The simulator's own bill, through real HTTP on loopback: what it records (including answers the
 * client never saw), the JSON-lines file, and the organization Usage and Costs APIs that serve it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiModelClient } from '../../functions/adapters/openai-model-client.js';
import type { ModelClient } from '../../functions/ports.js';
import type { BillLine } from '../../infra/local/openai-simulator/bill.js';
import { type RunningSimulator, startOpenAiSimulator } from '../../infra/local/openai-simulator/server.js';

let dir: string;
let billFile: string;
let sim: RunningSimulator;
let client: ModelClient;

const ask = (instructions = 'x') => client.call({ model: 'gpt-4o', instructions, maxOutputTokens: 100 });

async function admin(path: string, key = 'sk-admin-simulated'): Promise<Response> {
  return fetch(`${sim.baseUrl}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
}

/** An organization API page, with its results typed by the test that reads them. */
interface OrganizationPage<Result = unknown> {
  readonly data: { readonly start_time: number; readonly results: Result[] }[];
  readonly has_more: boolean;
  readonly next_page: string | null;
}

interface CostResult {
  readonly object: string;
  readonly amount: { readonly value: number; readonly currency: string };
  readonly line_item: string;
}

const today = () => Math.floor(Date.now() / 86_400_000) * 86_400;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-bill-'));
  billFile = join(dir, 'openai-bill.jsonl');
  sim = await startOpenAiSimulator({ billFile });
  client = createOpenAiModelClient({ apiKey: 'sk-simulated', baseURL: sim.baseUrl, timeoutMs: 300 });
});

afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenAI simulator bill', () => {
  it('bills every answer the model produced, the lost ones included, and nothing that failed before it', async () => {
    // Prepare: one of each fate
    sim.setFaults('ok, 503, reset, reset-after-bill, timeout, malformed, no-usage');

    // Act
    const seen = await ask();
    for (let i = 0; i < 5; i++) await ask().catch(() => undefined);
    const withoutUsage = await ask();

    // Assess
    expect(sim.bill.map((line) => line.clientSawAnswer)).toEqual([true, false, false, false, true]);
    expect(sim.bill[0]).toMatchObject({
      requestId: seen.requestId,
      endpoint: 'chat.completions',
      model: 'gpt-4o-2024-08-06',
      inputTokens: seen.usage.promptTokens,
      cachedTokens: 0,
      imageTokens: 0,
      audioInputTokens: 0,
      outputTokens: seen.usage.completionTokens,
      audioOutputTokens: 0,
    });
    // The client saw no usage, but OpenAI billed the answer all the same.
    expect(withoutUsage.usage.promptTokens).toBe(0);
    expect(sim.bill[4]?.inputTokens).toBe(seen.usage.promptTokens);
  });

  it('prices a line from its own table in integer micro-USD, rounded up once', async () => {
    const answer = await ask();
    const line = sim.bill[0] as BillLine;
    // gpt-4o-2024-08-06: $2.50 per 1M input tokens, $10 per 1M output tokens.
    const exact = (answer.usage.promptTokens * 2.5 + answer.usage.completionTokens * 10) / 1e6;
    expect(line.costMicroUsd).toBe(Math.ceil(Math.round(exact * 1e6 * 1e6) / 1e6));
  });

  it('writes one JSON line a request to billFile and serves an earlier run’s lines after a restart', async () => {
    await ask();
    await ask('y');
    const written = readFileSync(billFile, 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as BillLine);
    expect(written).toEqual(sim.bill);
    expect(Object.keys(written[0] ?? {}).sort()).toEqual(
      [
        'timestamp',
        'requestId',
        'endpoint',
        'model',
        'inputTokens',
        'cachedTokens',
        'imageTokens',
        'audioInputTokens',
        'outputTokens',
        'audioOutputTokens',
        'costMicroUsd',
        'clientSawAnswer',
      ].sort(),
    );

    await sim.close();
    sim = await startOpenAiSimulator({ billFile });
    expect(sim.bill).toEqual(written);
  });
});

describe('OpenAI simulator organization Usage and Costs APIs', () => {
  it('serves completions usage by UTC day and model in the shape of GET /v1/organization/usage/completions', async () => {
    // Prepare
    await ask();
    await client.call({ model: 'gpt-4o-mini', instructions: 'x', maxOutputTokens: 100 });
    await ask('y');

    // Act
    const response = await admin(
      `/organization/usage/completions?start_time=${today()}&end_time=${today() + 86_400}&bucket_width=1d&group_by=model`,
    );

    // Assess
    expect(response.status).toBe(200);
    const page = (await response.json()) as OrganizationPage<{ model: string }>;
    expect(page).toMatchObject({ object: 'page', has_more: false, next_page: null });
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({ object: 'bucket', start_time: today(), end_time: today() + 86_400 });
    const fourO = sim.bill.filter((line) => line.model === 'gpt-4o-2024-08-06');
    expect(page.data[0]?.results).toContainEqual({
      object: 'organization.usage.completions.result',
      input_tokens: fourO.reduce((sum, line) => sum + line.inputTokens, 0),
      output_tokens: fourO.reduce((sum, line) => sum + line.outputTokens, 0),
      input_cached_tokens: 0,
      input_audio_tokens: 0,
      output_audio_tokens: 0,
      num_model_requests: 2,
      project_id: null,
      user_id: null,
      api_key_id: null,
      model: 'gpt-4o-2024-08-06',
      batch: null,
      service_tier: null,
    });
    expect(page.data[0]?.results.map((r) => r.model).sort()).toEqual([
      'gpt-4o-2024-08-06',
      'gpt-4o-mini-2024-07-18',
    ]);
  });

  it('serves costs by line item in the shape of GET /v1/organization/costs, within a micro-dollar a request of the bill', async () => {
    await ask();
    await ask('y');

    const response = await admin(
      `/organization/costs?start_time=${today()}&bucket_width=1d&group_by=line_item`,
    );

    const page = (await response.json()) as OrganizationPage<CostResult>;
    const results = page.data[0]?.results ?? [];
    expect(results.map((r) => r.line_item).sort()).toEqual([
      'gpt-4o-2024-08-06, input',
      'gpt-4o-2024-08-06, output',
    ]);
    expect(
      results.every((r) => r.object === 'organization.costs.result' && r.amount.currency === 'usd'),
    ).toBe(true);
    const reportedMicroUsd = results.reduce((sum, r) => sum + r.amount.value, 0) * 1e6;
    const billedMicroUsd = sim.bill.reduce((sum, line) => sum + line.costMicroUsd, 0);
    expect(billedMicroUsd - reportedMicroUsd).toBeGreaterThanOrEqual(-1e-6);
    expect(billedMicroUsd - reportedMicroUsd).toBeLessThan(sim.bill.length);
  });

  it('returns every day of the range as a bucket, a page of limit days at a time with a next_page cursor', async () => {
    const start = today() - 9 * 86_400;
    const first = (await (
      await admin(`/organization/costs?start_time=${start}&limit=7`)
    ).json()) as OrganizationPage;
    expect(first.data).toHaveLength(7);
    expect(first.has_more).toBe(true);

    const rest = (await (
      await admin(`/organization/costs?start_time=${start}&limit=7&page=${first.next_page}`)
    ).json()) as OrganizationPage;
    expect(rest.data.map((bucket) => bucket.start_time)).toEqual([
      today() - 2 * 86_400,
      today() - 86_400,
      today(),
    ]);
    expect(rest).toMatchObject({ has_more: false, next_page: null });
  });

  it('wants a bearer key and a start_time, as the admin API does', async () => {
    expect((await admin(`/organization/costs?start_time=${today()}`, '')).status).toBe(401);
    const missing = await admin('/organization/usage/completions');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      error: { param: 'start_time', type: 'invalid_request_error' },
    });
  });
});
