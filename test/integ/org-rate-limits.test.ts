/**
 * The organisation's OpenAI limits per route: the simulator answers with OpenAI's `x-ratelimit-*`
 * headers (its own one-minute window, code that shares nothing with ours), the real SDK client reads
 * them, and the route's bucket in the local DynamoDB, shared by every instance, takes them as the truth.
 * When the provider says the window is spent, the next item waits instead of drawing a 429.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoRateBuckets } from '../../functions/adapters/dynamodb-rate-buckets.js';
import {
  createOpenAiModelClient,
  parseRateLimitHeaders,
  parseResetDurationMs,
} from '../../functions/adapters/openai-model-client.js';
import { type InvokeDeps, invokeModel } from '../../functions/model/invoke.js';
import { findTask } from '../../functions/model/tasks.js';
import { AdmissionDeferredError } from '../../functions/pipeline/reasons.js';
import { createOrgRateLimiter } from '../../functions/tenants/rate-limit.js';
import { createStateTable, type LocalDynamo, startLocalDynamo } from '../../infra/local/dynamodb.js';
import { type RunningSimulator, startOpenAiSimulator } from '../../infra/local/openai-simulator/server.js';

describe("the organisation's rate limits, fed from the provider's headers", () => {
  let sim: RunningSimulator;
  let local: LocalDynamo;
  let image: Buffer;

  beforeAll(async () => {
    sim = await startOpenAiSimulator({ rateLimits: { requestsPerMinute: 3 } });
    local = await startLocalDynamo();
    image = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#468' } })
      .png()
      .toBuffer();
  });

  afterAll(async () => {
    await sim?.close();
    await local?.close();
  });

  it('reads the x-ratelimit headers as OpenAI writes them', () => {
    expect(parseResetDurationMs('20ms')).toBe(20);
    expect(parseResetDurationMs('1.5s')).toBe(1500);
    expect(parseResetDurationMs('6m0s')).toBe(360_000);
    expect(parseResetDurationMs('1h2m3s')).toBe(3_723_000);
    expect(parseResetDurationMs('soon')).toBeUndefined();
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '29000',
      'x-ratelimit-reset-tokens': '2s',
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      limitRequests: 500,
      remainingRequests: 499,
      resetRequestsMs: 120,
      limitTokens: 30_000,
      remainingTokens: 29_000,
      resetTokensMs: 2000,
    });
    expect(parseRateLimitHeaders(new Headers())).toBeUndefined();
  });

  it('parks the item once the provider says the window is spent, without sending it a request', async () => {
    // Prepare: two "instances" sharing the route's bucket in one table
    const client = local.client();
    await createStateTable(client, 'org-limits');
    const model = createOpenAiModelClient({ apiKey: 'sk-simulated', baseURL: sim.baseUrl, timeoutMs: 5000 });
    const instance = (): InvokeDeps => ({
      clientFor: () => model,
      retry: { maxAttempts: 1 },
      orgLimits: createOrgRateLimiter(createDynamoRateBuckets(client, 'org-limits')),
    });
    const describeTask = findTask('describe');
    if (!describeTask) throw new Error('no describe task');
    const ask = (deps: InvokeDeps, i: number) =>
      invokeModel(deps, {
        tenant: 'acme',
        task: { ...describeTask, routes: ['gpt-4o-primary'] },
        promptText: `question ${i}`,
        media: { kind: 'image', mime: 'image/png', bytes: image, detail: 'low' },
        mediaInfo: { width: 256, height: 256 },
        mediaSha256: 'e'.repeat(64),
      });

    // Act: the window holds 3 requests a minute
    const answers = [await ask(instance(), 1), await ask(instance(), 2), await ask(instance(), 3)];
    const requestsBefore = sim.requests.length;
    const fourth = await ask(instance(), 4).catch((error: unknown) => error);

    // Assess
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(fourth).toBeInstanceOf(AdmissionDeferredError);
    expect((fourth as AdmissionDeferredError).name).toBe('RateLimited');
    expect((fourth as AdmissionDeferredError).retryAfterMs).toBeGreaterThan(0);
    // The provider never saw the fourth: no 429 drawn, nothing billed.
    expect(sim.requests.length).toBe(requestsBefore);
    client.destroy();
  });

  it("replaces a route's bucket with the provider's word in one write that outdates what others read", async () => {
    // Prepare: an admission read the bucket at some version
    const client = local.client();
    await createStateTable(client, 'org-replace');
    const buckets = createDynamoRateBuckets(client, 'org-replace');
    const bucket = { scope: 'org', route: 'gpt-4o-primary' } as const;
    await buckets.replace(bucket, {
      tokens: { requests: 5 },
      at: 1,
      capacity: { requests: 5 },
      refillPerMs: { requests: 0.001 },
    });
    const read = await buckets.read(bucket);

    // Act: the provider's next answer replaces the level meanwhile
    await buckets.replace(bucket, {
      tokens: { requests: 0 },
      at: 2,
      capacity: { requests: 5 },
      refillPerMs: { requests: 0.001 },
    });
    const stale = await buckets.write(bucket, { tokens: { requests: 4 }, at: 3 }, read?.version ?? 0);

    // Assess: the stale admission lost its write, and the provider's count and limits stand
    expect(stale).toBe(false);
    expect(await buckets.read(bucket)).toEqual({
      level: { tokens: { requests: 0 }, at: 2, capacity: { requests: 5 }, refillPerMs: { requests: 0.001 } },
      version: (read?.version ?? 0) + 1,
    });
    client.destroy();
  });
});
