import { describe, expect, it } from 'vitest';
import {
  type BreakerTransition,
  coolDownMs,
  DEFAULT_BREAKER_POLICY,
  SharedCircuitBreaker,
} from '../../../functions/model/breaker.js';
import type { BreakerStore } from '../../../functions/ports.js';
import { memoryBreakerStore } from './fakes.js';

const ROUTE = 'gpt-4o-primary';
const policy = {
  failureThreshold: 3,
  minimumRequests: 10,
  failureRateThreshold: 0.5,
  coolDownMs: 1_000,
  maxCoolDownMs: 3_000,
  probeLeaseMs: 5_000,
  stateCacheMs: 1_000,
  windowMs: 60_000,
};

function clock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function instances(
  store: BreakerStore,
  time: { now: () => number },
  count: number,
  transitions: BreakerTransition[] = [],
) {
  return Array.from(
    { length: count },
    () =>
      new SharedCircuitBreaker(store, {
        policy,
        now: time.now,
        onTransition: (t) => void transitions.push(t),
      }),
  );
}

const closed = { allowed: true, probe: false, state: 'closed' } as const;

describe('shared circuit breaker', () => {
  it('opens after the consecutive-failure threshold, counted across instances', async () => {
    // Prepare
    const store = memoryBreakerStore();
    const time = clock();
    const transitions: BreakerTransition[] = [];
    const [a, b, c] = instances(store, time, 3, transitions);

    // Act
    await a?.record(ROUTE, closed, false);
    await b?.record(ROUTE, closed, false);
    await c?.record(ROUTE, closed, false);

    // Assess
    expect(store.records.get(ROUTE)?.state).toBe('open');
    expect(transitions).toEqual([
      {
        route: ROUTE,
        from: 'closed',
        to: 'open',
        reason: 'consecutive_failures',
        at: '2026-01-01T00:00:00.000Z',
        reopenCount: 0,
        openUntil: '2026-01-01T00:00:01.000Z',
      },
    ]);
    expect(await c?.admit(ROUTE)).toEqual({ allowed: false, probe: false, state: 'open' });
  });

  it('a success resets the failure streak', async () => {
    const store = memoryBreakerStore();
    const [a] = instances(store, clock(), 1);
    for (const ok of [false, false, true, false, false]) await a?.record(ROUTE, closed, ok);
    expect(store.records.get(ROUTE)?.state).toBe('closed');
  });

  it('opens on a failure rate over the threshold once the window has the minimum volume', async () => {
    // Prepare: alternate failures and successes, so the streak never reaches 3
    const store = memoryBreakerStore();
    const transitions: BreakerTransition[] = [];
    const [a] = instances(store, clock(), 1, transitions);

    // Act
    for (let i = 0; i < 9; i++) await a?.record(ROUTE, closed, i % 2 === 1);
    const beforeVolume = store.records.get(ROUTE)?.state;
    await a?.record(ROUTE, closed, false);

    // Assess
    expect(beforeVolume).toBe('closed');
    expect(transitions.map((t) => t.reason)).toEqual(['failure_rate']);
  });

  it('admits exactly one probe after the cool-down, however many instances ask at once', async () => {
    // Prepare
    const store = memoryBreakerStore();
    const time = clock();
    const breakers = instances(store, time, 10);
    for (const breaker of breakers.slice(0, 3)) await breaker.record(ROUTE, closed, false);
    time.advance(1_000);

    // Act
    const admissions = await Promise.all(breakers.map((breaker) => breaker.admit(ROUTE)));

    // Assess
    expect(admissions.filter((a) => a.allowed)).toHaveLength(1);
    expect(admissions.filter((a) => a.probe)).toHaveLength(1);
    expect(admissions.filter((a) => !a.allowed).every((a) => a.state !== 'closed')).toBe(true);
  });

  it('closes when the probe succeeds, and the other instances see it once their cache expires', async () => {
    // Prepare
    const store = memoryBreakerStore();
    const time = clock();
    const transitions: BreakerTransition[] = [];
    const [a, b] = instances(store, time, 2, transitions);
    for (let i = 0; i < 3; i++) await a?.record(ROUTE, closed, false);
    expect(await b?.admit(ROUTE)).toMatchObject({ allowed: false });
    time.advance(1_000);
    const probe = await a?.admit(ROUTE);

    // Act
    if (probe) await a?.record(ROUTE, probe, true);

    // Assess
    expect(transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
      'closed>open:consecutive_failures',
      'open>half_open:cool_down_elapsed',
      'half_open>closed:probe_succeeded',
    ]);
    expect(await b?.admit(ROUTE)).toEqual(closed);
    expect(store.records.get(ROUTE)).toMatchObject({
      state: 'closed',
      reopenCount: 0,
      consecutiveFailures: 0,
    });
  });

  it('re-opens on a failed probe with a doubled, capped cool-down', async () => {
    // Prepare
    const store = memoryBreakerStore();
    const time = clock();
    const transitions: BreakerTransition[] = [];
    const [a] = instances(store, time, 1, transitions);
    for (let i = 0; i < 3; i++) await a?.record(ROUTE, closed, false);

    // Act: three failed probes in a row
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const record = store.records.get(ROUTE);
      const wait = (record?.openUntilMs ?? 0) - time.now();
      waits.push(wait);
      time.advance(wait);
      const probe = await a?.admit(ROUTE);
      expect(probe?.probe).toBe(true);
      if (probe) await a?.record(ROUTE, probe, false);
    }

    // Assess
    expect(waits).toEqual([1_000, 2_000, 3_000]);
    expect(store.records.get(ROUTE)?.reopenCount).toBe(3);
    expect(transitions.filter((t) => t.reason === 'probe_failed')).toHaveLength(3);
    expect(coolDownMs({ ...DEFAULT_BREAKER_POLICY }, 10)).toBe(DEFAULT_BREAKER_POLICY.maxCoolDownMs);
  });

  it('hands the probe to another instance when the holder never reports back', async () => {
    // Prepare
    const store = memoryBreakerStore();
    const time = clock();
    const [a, b] = instances(store, time, 2);
    for (let i = 0; i < 3; i++) await a?.record(ROUTE, closed, false);
    time.advance(1_000);
    const lost = await a?.admit(ROUTE);
    time.advance(1_000);
    expect(await b?.admit(ROUTE)).toMatchObject({ allowed: false, state: 'half_open' });

    // Act
    time.advance(5_000);
    const second = await b?.admit(ROUTE);
    if (lost) await a?.record(ROUTE, lost, true);

    // Assess: the late report of the lapsed probe settles nothing
    expect(second).toMatchObject({ allowed: true, probe: true });
    expect(store.records.get(ROUTE)?.state).toBe('half_open');
  });

  it('reads the store at most once per cache period on the hot path', async () => {
    const store = memoryBreakerStore();
    const time = clock();
    const [a] = instances(store, time, 1);
    for (let i = 0; i < 50; i++) await a?.admit(ROUTE);
    time.advance(1_000);
    await a?.admit(ROUTE);
    expect(store.reads).toBe(2);
  });

  it('fails open when its store is down, and says so', async () => {
    const errors: string[] = [];
    const broken: BreakerStore = {
      read: () => Promise.reject(new Error('throttled')),
      count: () => Promise.reject(new Error('throttled')),
      transition: () => Promise.reject(new Error('throttled')),
    };
    const breaker = new SharedCircuitBreaker(broken, { onStoreError: (_e, op) => void errors.push(op) });
    expect(await breaker.admit(ROUTE)).toEqual(closed);
    await breaker.record(ROUTE, closed, false);
    expect(errors).toEqual(['admit', 'record']);
  });
});
