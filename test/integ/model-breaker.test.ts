import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDbBreakerStore } from '../../functions/adapters/dynamodb-breaker-store.js';
import { createDynamoDbResultCache } from '../../functions/adapters/dynamodb-result-cache.js';
import { createOpenAiModelClient } from '../../functions/adapters/openai-model-client.js';
import { createInvokeDeps } from '../../functions/config/model-wiring.js';
import {
  type BreakerTransition,
  DEFAULT_BREAKER_POLICY,
  SharedCircuitBreaker,
} from '../../functions/model/breaker.js';
import { type InvokeInput, type InvokeOutcome, invokeModel } from '../../functions/model/invoke.js';
import { findTask, type TaskDefinition } from '../../functions/model/tasks.js';
import { ModelUnavailableError } from '../../functions/pipeline/reasons.js';
import { createStateTable } from '../../infra/local/dynamodb.js';
import { type RunningSimulator, startOpenAiSimulator } from '../../infra/local/openai-simulator/server.js';

// dynalite ships no type declarations; this is the one function we use.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: {
  createTableMs?: number;
}) => Server;

let dynamoServer: Server;
let dynamo: DynamoDBClient;
let sim: RunningSimulator;
let image: Buffer;
let tableCounter = 0;

async function freshTable(): Promise<string> {
  const name = `runtime-state-${++tableCounter}`;
  await createStateTable(dynamo, name);
  return name;
}

function clock(start = Date.parse('2026-03-01T12:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const ROUTE = 'gpt-4o-primary';
const policy = {
  failureThreshold: 3,
  coolDownMs: 5_000,
  maxCoolDownMs: 20_000,
  probeLeaseMs: 10_000,
  stateCacheMs: 1_000,
};
const closed = { allowed: true, probe: false, state: 'closed' } as const;

beforeAll(async () => {
  dynamoServer = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => dynamoServer.listen(0, '127.0.0.1', resolve));
  const { port } = dynamoServer.address() as AddressInfo;
  dynamo = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  sim = await startOpenAiSimulator();
  image = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#123' } })
    .png()
    .toBuffer();
});

afterAll(async () => {
  dynamo?.destroy();
  await sim?.close();
  await new Promise<void>((resolve) => dynamoServer.close(() => resolve()));
});

beforeEach(() => {
  sim.setFaults('');
  sim.requests.length = 0;
});

describe('shared circuit breaker on DynamoDB (dynalite)', () => {
  it('counts failures from many instances without losing any, and opens at the threshold', async () => {
    // Prepare
    const table = await freshTable();
    const time = clock();
    const store = createDynamoDbBreakerStore(dynamo, table, { now: time.now });
    const transitions: BreakerTransition[] = [];
    const breakers = Array.from(
      { length: 8 },
      () =>
        new SharedCircuitBreaker(store, {
          policy: { ...policy, failureThreshold: 100, minimumRequests: 1_000 },
          now: time.now,
        }),
    );
    const opener = new SharedCircuitBreaker(store, {
      policy,
      now: time.now,
      onTransition: (t) => void transitions.push(t),
    });

    // Act: 8 instances × 5 concurrent failures, then the 3-failure policy looks at the streak
    await Promise.all(
      breakers.flatMap((b) => Array.from({ length: 5 }, () => b.record(ROUTE, closed, false))),
    );
    const counted = await store.read(ROUTE);
    await opener.record(ROUTE, closed, false);

    // Assess
    expect(counted).toMatchObject({
      windowRequests: 40,
      windowFailures: 40,
      consecutiveFailures: 40,
      state: 'closed',
    });
    expect(transitions).toMatchObject([
      { route: ROUTE, from: 'closed', to: 'open', reason: 'consecutive_failures' },
    ]);
    expect((await store.read(ROUTE))?.state).toBe('open');
  });

  it('counts a failure that starts a new window, so a streak spread over quiet minutes still opens', async () => {
    // Prepare: one failure per window; the streak carries across windows while nothing succeeds
    const table = await freshTable();
    const time = clock();
    const store = createDynamoDbBreakerStore(dynamo, table, { now: time.now });
    const transitions: BreakerTransition[] = [];
    const breaker = new SharedCircuitBreaker(store, {
      policy,
      now: time.now,
      onTransition: (t) => void transitions.push(t),
    });

    // Act
    for (let failure = 0; failure < policy.failureThreshold; failure++) {
      await breaker.record(ROUTE, closed, false);
      time.advance(DEFAULT_BREAKER_POLICY.windowMs + 1);
    }

    // Assess
    expect(transitions.map((t) => `${t.to} ${t.reason}`)).toEqual(['open consecutive_failures']);
  });

  it('admits exactly one half-open probe across concurrent instances, then closes on its success', async () => {
    // Prepare
    const table = await freshTable();
    const time = clock();
    const store = createDynamoDbBreakerStore(dynamo, table, { now: time.now });
    const transitions: BreakerTransition[] = [];
    const breakers = Array.from(
      { length: 12 },
      () =>
        new SharedCircuitBreaker(store, {
          policy,
          now: time.now,
          onTransition: (t) => void transitions.push(t),
        }),
    );
    for (const b of breakers.slice(0, 3)) await b.record(ROUTE, closed, false);
    expect(await breakers[5]?.admit(ROUTE)).toMatchObject({ allowed: false, state: 'open' });
    time.advance(5_000);

    // Act
    const admissions = await Promise.all(breakers.map((b) => b.admit(ROUTE)));
    const winner = breakers[admissions.findIndex((a) => a.probe)];
    const probe = admissions.find((a) => a.probe);
    if (winner && probe) await winner.record(ROUTE, probe, true);
    time.advance(1_000);
    const after = await Promise.all(breakers.map((b) => b.admit(ROUTE)));

    // Assess
    expect(admissions.filter((a) => a.allowed)).toHaveLength(1);
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual([
      'closed>open',
      'open>half_open',
      'half_open>closed',
    ]);
    expect(after.every((a) => a.allowed && !a.probe)).toBe(true);
  });

  it('re-opens on a failed probe with a longer cool-down', async () => {
    const table = await freshTable();
    const time = clock();
    const store = createDynamoDbBreakerStore(dynamo, table, { now: time.now });
    const breaker = new SharedCircuitBreaker(store, { policy, now: time.now });
    for (let i = 0; i < 3; i++) await breaker.record(ROUTE, closed, false);
    time.advance(5_000);
    const probe = await breaker.admit(ROUTE);

    await breaker.record(ROUTE, probe, false);

    const record = await store.read(ROUTE);
    expect(record).toMatchObject({ state: 'open', reopenCount: 1, openUntilMs: time.now() + 10_000 });
  });

  it('treats a breaker item past its TTL as absent even before DynamoDB deletes it', async () => {
    const table = await freshTable();
    const time = clock();
    const store = createDynamoDbBreakerStore(dynamo, table, { now: time.now, ttlSeconds: 60 });
    const breaker = new SharedCircuitBreaker(store, { policy, now: time.now });
    for (let i = 0; i < 3; i++) await breaker.record(ROUTE, closed, false);

    time.advance(61_000);

    expect(await store.read(ROUTE)).toBeUndefined();
    expect(await breaker.admit(ROUTE)).toEqual(closed);
  });
});

describe('result cache on DynamoDB (dynalite)', () => {
  it('serves a hit before its TTL and misses after it, whatever DynamoDB has not yet deleted', async () => {
    const table = await freshTable();
    const time = clock();
    const cache = createDynamoDbResultCache(dynamo, table, { now: time.now });
    const value = {
      text: 'answer',
      model: 'gpt-4o',
      route: ROUTE,
      requestIds: ['req_1'],
      createdAt: '2026-03-01T12:00:00.000Z',
    };

    await cache.put('acme', 'k1', value, 300);

    expect(await cache.get('acme', 'k1')).toEqual(value);
    expect(await cache.get('globex', 'k1')).toBeUndefined();
    expect(await cache.get('acme', 'k2')).toBeUndefined();
    time.advance(300_000);
    expect(await cache.get('acme', 'k1')).toBeUndefined();
  });
});

describe('outage end to end: simulator + breaker + cache on dynalite', () => {
  function task(): TaskDefinition {
    const describeTask = findTask('describe');
    if (!describeTask) throw new Error('describe task missing');
    return { ...describeTask, routes: [ROUTE] };
  }

  function item(i: number): InvokeInput {
    return {
      tenant: 'acme',
      task: task(),
      promptText: `item ${i}`,
      media: { kind: 'image', mime: 'image/png', bytes: image, detail: 'high' },
      mediaInfo: { width: 512, height: 512 },
      mediaSha256: String(i).padStart(64, '0'),
    };
  }

  it('opens the breaker, parks every item while the outage lasts, probes once and completes them all after', async () => {
    // Prepare: 6 concurrent Lambda-like instances, each with its own breaker cache, sharing the table
    const table = await freshTable();
    const time = clock();
    const store = createDynamoDbBreakerStore(dynamo, table, { now: time.now });
    const cache = createDynamoDbResultCache(dynamo, table, { now: time.now });
    const transitions: BreakerTransition[] = [];
    const client = createOpenAiModelClient({
      apiKey: 'sk-simulated',
      baseURL: sim.baseUrl,
      timeoutMs: 2_000,
    });
    const instances = Array.from({ length: 6 }, () => ({
      clientFor: () => client,
      breaker: new SharedCircuitBreaker(store, {
        policy,
        now: time.now,
        onTransition: (t) => void transitions.push(t),
      }),
      cache,
      sleep: async () => {},
      random: () => 0.5,
      retry: { maxAttempts: 2 },
      now: () => new Date(time.now()),
    }));
    sim.setFaults('503*1000');
    const pending = new Set(Array.from({ length: 12 }, (_, i) => i));
    const done = new Map<number, InvokeOutcome>();
    let parkedRounds = 0;
    const requestsPerRound: number[] = [];

    // Act: the state machine's role: retry parked items every round; the outage ends after round 2
    for (let round = 0; round < 6 && pending.size > 0; round++) {
      if (round === 2) sim.setFaults('');
      const before = sim.requests.length;
      const results = await Promise.allSettled(
        [...pending].map((i) =>
          invokeModel(instances[i % instances.length] as (typeof instances)[number], item(i)).then(
            (o) => [i, o] as const,
          ),
        ),
      );
      for (const result of results) {
        if (result.status === 'fulfilled') {
          done.set(result.value[0], result.value[1]);
          pending.delete(result.value[0]);
        } else {
          expect(result.reason).toBeInstanceOf(ModelUnavailableError);
        }
      }
      if (pending.size > 0) parkedRounds++;
      requestsPerRound.push(sim.requests.length - before);
      time.advance(6_000);
    }

    // Assess
    expect(pending.size).toBe(0);
    expect([...done.values()].every((o) => o.ok)).toBe(true);
    expect(parkedRounds).toBeGreaterThanOrEqual(2);
    const kinds = transitions.map((t) => `${t.from}>${t.to}`);
    expect(kinds).toContain('closed>open');
    expect(kinds.filter((k) => k === 'open>half_open').length).toBe(
      kinds.filter((k) => k.startsWith('half_open>')).length,
    );
    expect(kinds.at(-1)).toBe('half_open>closed');
    // Round 0 runs into the outage together (2 attempts each); once open, a round sends only the single probe.
    expect(requestsPerRound[0]).toBe(24);
    expect(requestsPerRound[1]).toBe(1);
  });

  it('answers a repeat from the DynamoDB cache with no simulator call; a new task version misses', async () => {
    // Prepare
    const table = await freshTable();
    const time = clock();
    const cache = createDynamoDbResultCache(dynamo, table, { now: time.now });
    const client = createOpenAiModelClient({
      apiKey: 'sk-simulated',
      baseURL: sim.baseUrl,
      timeoutMs: 2_000,
    });
    const deps = { clientFor: () => client, cache, now: () => new Date(time.now()) };
    const first = await invokeModel(deps, item(1));

    // Act
    const repeat = await invokeModel(deps, item(1));
    const calls = sim.requests.length;
    const newVersion = await invokeModel(deps, { ...item(1), task: { ...task(), version: '2' } });

    // Assess
    expect(first).toMatchObject({ ok: true, cached: false });
    expect(repeat).toMatchObject({ ok: true, cached: true, text: first.ok ? first.text : '', attempts: 0 });
    expect(calls).toBe(1);
    expect(newVersion).toMatchObject({ ok: true, cached: false });
    expect(sim.requests).toHaveLength(2);
  });
});

describe('handler wiring', () => {
  it('wires breaker, cache and prices, publishes breaker events, and leaves out unconfigured endpoints', async () => {
    // Prepare
    const table = await freshTable();
    const published: { detailType: string; detail: unknown }[] = [];
    const deps = createInvokeDeps({
      apiKey: 'sk-simulated',
      timeoutMs: 2_000,
      endpoints: { primary: sim.baseUrl },
      dynamo,
      stateTable: table,
      breakerPolicy: { failureThreshold: 3 },
      publisher: { publish: async (event) => void published.push(event) },
    });
    const describeTask = findTask('describe');
    if (!describeTask) throw new Error('describe task missing');
    sim.setFaults('503,503,503');

    // Act
    const outcome = await invokeModel(
      { ...deps, sleep: async () => {} },
      {
        tenant: 'acme',
        task: describeTask,
        promptText: 'What is it?',
        media: { kind: 'image', mime: 'image/png', bytes: image, detail: 'high' },
        mediaInfo: { width: 512, height: 512 },
        mediaSha256: 'e'.repeat(64),
      },
    );

    // Assess: gpt-4o on primary fails 3 times and opens; 'secondary' is not configured, so the next route
    // is gpt-4o-mini (cheaper here for a 512 px image with a 400-token answer bound)
    expect(sim.requests.map((r) => r.model)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o', 'gpt-4o-mini']);
    expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-mini-primary' });
    expect(published).toMatchObject([
      {
        detailType: 'Model Route Breaker Changed',
        detail: { route: 'gpt-4o-primary', from: 'closed', to: 'open' },
      },
    ]);
  });
});
