import { describe, expect, it } from 'vitest';
import { type RouteBreaker, SharedCircuitBreaker } from '../../../functions/model/breaker.js';
import {
  type AnsweredOutcome,
  type InvokeInput,
  invokeModel,
  startAdmission,
} from '../../../functions/model/invoke.js';
import { findTask, type TaskDefinition } from '../../../functions/model/tasks.js';
import { estimateMicroUsd } from '../../../functions/money/prices.js';
import { ModelUnavailableError, PermanentStepError } from '../../../functions/pipeline/reasons.js';
import { memoryBreakerStore, memoryCache, recordingSleep, scriptedModel } from './fakes.js';

function task(id: string): TaskDefinition {
  const found = findTask(id);
  if (!found) throw new Error(`no task ${id}`);
  return found;
}

const image = { kind: 'image', mime: 'image/png', bytes: Buffer.from('png'), detail: 'high' } as const;
const audio = { kind: 'audio', format: 'wav', bytes: Buffer.from('wav') } as const;

function input(overrides: Partial<InvokeInput> = {}): InvokeInput {
  return {
    tenant: 'acme',
    task: task('describe'),
    promptText: 'What is this?',
    media: image,
    mediaInfo: { width: 1024, height: 1024 },
    mediaSha256: 'a'.repeat(64),
    ...overrides,
  };
}

const priceOf = (
  model: string,
  e: { textTokens: number; imageTokens: number; audioTokens: number; maxOutputTokens: number },
) =>
  estimateMicroUsd({
    model,
    inputTokens: e.textTokens + e.imageTokens,
    audioInputTokens: e.audioTokens,
    outputTokens: e.maxOutputTokens,
  });

const fixedRandom = () => 0.5;
/** `describe` without its gpt-4o-mini fallback, for tests about exhausting gpt-4o routes. */
const gpt4oOnly = () => ({ ...task('describe'), routes: ['gpt-4o-primary', 'gpt-4o-secondary'] });

/** A closed breaker and roomy organisation limits that log each read and each admission. */
function loggingAdmission() {
  const log: string[] = [];
  const admitted = { allowed: true, probe: false, state: 'closed' } as const;
  const breaker = {
    admit: async () => {
      log.push('breaker read and admit');
      return admitted;
    },
    prepareAdmit: (route: string) => {
      log.push(`breaker read ${route}`);
      return async () => {
        log.push('breaker admit');
        return admitted;
      };
    },
    record: async () => {},
  };
  const orgLimits = {
    admit: async () => ({ ok: true }) as const,
    observe: async () => {},
    prepareAdmit: (route: string) => {
      log.push(`org read ${route}`);
      return async () => {
        log.push('org admit');
        return { ok: true } as const;
      };
    },
  };
  return { log, breaker, orgLimits };
}

const reserveLogged = (log: string[]) => async () => {
  log.push('reserve');
  return { ok: true } as const;
};

describe('invokeModel', () => {
  it('returns the answer with its request id, usage and pre-flight estimate', async () => {
    // Prepare
    const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'a cat' }] });

    // Act
    const outcome = await invokeModel({ clientFor: model.clientFor }, input());

    // Assess
    expect(outcome).toMatchObject({
      ok: true,
      text: 'a cat',
      route: 'gpt-4o-primary',
      model: 'gpt-4o',
      requestIds: ['req_1'],
      attempts: 1,
      cached: false,
    });
    expect(outcome.ok && outcome.estimate.imageTokens).toBe(765);
    expect(model.calls[0]?.request).toMatchObject({ model: 'gpt-4o', media: image, maxOutputTokens: 400 });
    expect(model.calls[0]?.request.instructions).toContain('User request:\nWhat is this?');
  });

  it('sleeps exactly the retry-after the server asked for, then succeeds, keeping every request id', async () => {
    // Prepare
    const model = scriptedModel({
      'gpt-4o-primary': [{ fail: 'retryable', status: 429, retryAfterMs: 2_000 }, { ok: 'done' }],
    });
    const { sleep, sleeps } = recordingSleep();

    // Act
    const outcome = await invokeModel({ clientFor: model.clientFor, sleep, random: fixedRandom }, input());

    // Assess
    expect(sleeps).toEqual([2_000]);
    expect(outcome).toMatchObject({ ok: true, attempts: 2, requestIds: ['req_1', 'req_2'] });
  });

  it('backs off with full jitter when the server gives no retry-after', async () => {
    const model = scriptedModel({
      'gpt-4o-primary': [
        { fail: 'retryable', status: 503 },
        { fail: 'retryable', status: 502 },
        { ok: 'done' },
      ],
    });
    const { sleep, sleeps } = recordingSleep();

    await invokeModel(
      {
        clientFor: model.clientFor,
        sleep,
        random: fixedRandom,
        retry: { baseDelayMs: 100, maxDelayMs: 1_000 },
      },
      input(),
    );

    expect(sleeps).toEqual([50, 100]);
  });

  it('parks instead of starting an attempt that could outlast the step', async () => {
    // Prepare: a 503, then a retry 100 ms later would end past the deadline (attempts take up to 400 ms)
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'retryable', status: 503 }, { ok: 'late' }] });
    let now = 0;
    const sleep = async (ms: number) => {
      now += ms;
    };

    // Act
    const outcome = invokeModel(
      {
        clientFor: model.clientFor,
        sleep,
        clock: () => now,
        random: () => 1,
        retry: { baseDelayMs: 100 },
        deadlineMs: 450,
        attemptTimeoutMs: 400,
      },
      input({ task: { ...task('describe'), routes: ['gpt-4o-primary'] } }),
    );

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ModelUnavailableError);
    await expect(outcome).rejects.toThrow(/no time left/);
    expect(model.calls).toHaveLength(1);
    expect(now).toBe(0);
  });

  it('does not retry insufficient_quota: it fails the step as MODEL_QUOTA_EXHAUSTED', async () => {
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'quota', status: 429 }] });
    const { sleep, sleeps } = recordingSleep();

    const outcome = invokeModel({ clientFor: model.clientFor, sleep }, input());

    await expect(outcome).rejects.toBeInstanceOf(PermanentStepError);
    await expect(outcome).rejects.toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED' });
    expect(model.calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('settles a half-open probe that meets a quota error, so the route is not held for the lease', async () => {
    // Prepare: the route's breaker is open and its cool-down is over, so the next call is the probe
    const store = memoryBreakerStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const breaker = new SharedCircuitBreaker(store, {
      policy: { failureThreshold: 1, coolDownMs: 1_000, probeLeaseMs: 60_000, stateCacheMs: 0 },
      now: () => now,
    });
    await breaker.record('gpt-4o-primary', await breaker.admit('gpt-4o-primary'), false);
    now += 1_001;
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'quota', status: 429 }] });

    // Act
    await expect(
      invokeModel({ clientFor: model.clientFor, breaker }, input({ task: gpt4oOnly() })),
    ).rejects.toMatchObject({ code: 'MODEL_QUOTA_EXHAUSTED' });

    // Assess: the breaker closed at once instead of waiting out the 60 s probe lease
    expect(store.records.get('gpt-4o-primary')?.state).toBe('closed');
    expect(await breaker.admit('gpt-4o-primary')).toMatchObject({ allowed: true });
  });

  it('does not retry an auth failure: MODEL_AUTH_FAILED', async () => {
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'auth', status: 401 }] });
    await expect(invokeModel({ clientFor: model.clientFor }, input())).rejects.toMatchObject({
      code: 'MODEL_AUTH_FAILED',
    });
    expect(model.calls).toHaveLength(1);
  });

  it('tells a forbidden model (403) from a wrong key (401), and names the code in the error', async () => {
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'auth', status: 403 }] });
    await expect(invokeModel({ clientFor: model.clientFor }, input())).rejects.toMatchObject({
      name: 'MODEL_FORBIDDEN',
      code: 'MODEL_FORBIDDEN',
    });
    expect(model.calls).toHaveLength(1);
  });

  it('fails the step as MODEL_NOT_FOUND on a 404 (the route names a model the endpoint lacks), without retrying', async () => {
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'invalid', status: 404 }] });
    await expect(invokeModel({ clientFor: model.clientFor }, input())).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
    expect(model.calls).toHaveLength(1);
  });

  it('rejects an invalid request as MODEL_REQUEST_INVALID without retrying or falling back', async () => {
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'invalid', status: 400 }] });
    const outcome = await invokeModel({ clientFor: model.clientFor }, input());
    expect(outcome).toMatchObject({
      ok: false,
      rejection: { reason: 'MODEL_REQUEST_INVALID' },
      requestIds: ['req_1'],
    });
    expect(model.calls).toHaveLength(1);
  });

  it('rejects a content-policy refusal as MODEL_REFUSED', async () => {
    const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'refused', status: 400 }] });
    const outcome = await invokeModel({ clientFor: model.clientFor }, input());
    expect(outcome).toMatchObject({ ok: false, rejection: { reason: 'MODEL_REFUSED' } });
  });

  it('falls back to the same model on the secondary endpoint when the primary stays down', async () => {
    // Prepare
    const down = { fail: 'retryable', status: 503 } as const;
    const model = scriptedModel({
      'gpt-4o-primary': [down, down, down],
      'gpt-4o-secondary': [{ ok: 'from B' }],
    });
    const { sleep } = recordingSleep();

    // Act
    const outcome = await invokeModel({ clientFor: model.clientFor, sleep, random: fixedRandom }, input());

    // Assess
    expect(outcome).toMatchObject({ ok: true, text: 'from B', route: 'gpt-4o-secondary', attempts: 4 });
    expect(outcome.ok && outcome.skipped).toEqual([{ route: 'gpt-4o-primary', why: 'retries_exhausted' }]);
  });

  it('skips a costlier fallback for an image (gpt-4o-mini bills image tiles far higher) and parks instead', async () => {
    // Prepare: a short answer, so the image dominates the bill (8 tiles: 1445 tokens on gpt-4o, 48169 on mini)
    const down = { fail: 'retryable', status: 503 } as const;
    const model = scriptedModel({
      'gpt-4o-primary': [down, down, down],
      'gpt-4o-secondary': [down, down, down],
    });
    const { sleep } = recordingSleep();
    const shortAnswer = { ...task('describe'), maxOutputTokens: 50 };

    // Act
    const outcome = invokeModel(
      { clientFor: model.clientFor, sleep, random: fixedRandom, priceOf },
      input({ task: shortAnswer, mediaInfo: { width: 2048, height: 768 } }),
    );

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(model.calls.map((c) => c.route)).not.toContain('gpt-4o-mini-primary');
  });

  it('takes the costlier fallback when the task allows it', async () => {
    const down = { fail: 'retryable', status: 503 } as const;
    const model = scriptedModel({
      'gpt-4o-primary': [down, down, down],
      'gpt-4o-secondary': [down, down, down],
    });
    const { sleep } = recordingSleep();
    const lenient = { ...task('describe'), maxOutputTokens: 50, allowCostlierFallback: true };

    const outcome = await invokeModel(
      { clientFor: model.clientFor, sleep, random: fixedRandom, priceOf },
      input({ task: lenient, mediaInfo: { width: 2048, height: 768 } }),
    );

    expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-mini-primary' });
  });

  it('keeps gpt-4o-mini as an image fallback when this request is really cheaper there (long answers)', async () => {
    // 1024×1024 high with answers usually as long as their 400-token bound: output at gpt-4o rates
    // outweighs mini's tiles.
    const down = { fail: 'retryable', status: 503 } as const;
    const model = scriptedModel({
      'gpt-4o-primary': [down, down, down],
      'gpt-4o-secondary': [down, down, down],
    });
    const { sleep } = recordingSleep();

    const describe = task('describe');
    const outcome = await invokeModel(
      { clientFor: model.clientFor, sleep, random: fixedRandom, priceOf },
      input({ task: { ...describe, typicalOutputTokens: describe.maxOutputTokens } }),
    );

    expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-mini-primary' });
  });

  it('skips gpt-4o-mini as an image fallback when answers are usually short, though the bound would favour it', async () => {
    // describe: ~120 tokens typical, 400 bound; mini's image tokens then cost more than gpt-4o's whole answer.
    const down = { fail: 'retryable', status: 503 } as const;
    const model = scriptedModel({
      'gpt-4o-primary': [down, down, down],
      'gpt-4o-secondary': [down, down, down],
    });
    const { sleep } = recordingSleep();

    const outcome = invokeModel(
      { clientFor: model.clientFor, sleep, random: fixedRandom, priceOf },
      input({ task: task('describe') }),
    );

    await expect(outcome).rejects.toBeInstanceOf(ModelUnavailableError);
  });

  it('sends a text-only request to the cheaper model first', async () => {
    const model = scriptedModel({});
    const outcome = await invokeModel(
      { clientFor: model.clientFor, priceOf },
      input({ media: undefined, mediaInfo: undefined }),
    );
    expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-mini-primary', model: 'gpt-4o-mini' });
  });

  it('parks (ModelUnavailableError) without sleeping when retry-after is over the cap', async () => {
    const model = scriptedModel({
      'gpt-4o-primary': [{ fail: 'retryable', status: 429, retryAfterMs: 60_000 }],
      'gpt-4o-secondary': [{ fail: 'retryable', status: 429, retryAfterMs: 60_000 }],
    });
    const { sleep, sleeps } = recordingSleep();

    await expect(
      invokeModel({ clientFor: model.clientFor, sleep }, input({ task: gpt4oOnly() })),
    ).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(sleeps).toEqual([]);
  });

  it('parks when the sleep budget runs out across routes', async () => {
    const slow = { fail: 'retryable', status: 429, retryAfterMs: 4_000 } as const;
    const model = scriptedModel({
      'gpt-4o-primary': [slow, slow, slow],
      'gpt-4o-secondary': [slow, slow, slow],
    });
    const { sleep, sleeps } = recordingSleep();

    const outcome = invokeModel(
      { clientFor: model.clientFor, sleep, retry: { sleepBudgetMs: 10_000 } },
      input({ task: gpt4oOnly() }),
    );

    await expect(outcome).rejects.toThrow(/sleep_budget_exhausted/);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
  });

  it('rejects an answer that does not fit the task schema as INVALID_MODEL_OUTPUT', async () => {
    const model = scriptedModel({ 'gpt-4o-primary': [{ ok: '{"category":"cat"}' }] });
    const outcome = await invokeModel({ clientFor: model.clientFor }, input({ task: task('classify') }));
    expect(outcome).toMatchObject({
      ok: false,
      rejection: { reason: 'INVALID_MODEL_OUTPUT' },
      requestIds: ['req_1'],
    });
    expect(model.calls[0]?.request.responseSchema?.name).toBe('classification');
  });

  it('hands the accepted answer to onAnswer once, as invokeModel returns it, and no answer the task schema refuses', async () => {
    // Prepare
    const given: AnsweredOutcome[] = [];
    const onAnswer = async (answer: AnsweredOutcome) => {
      given.push(answer);
    };
    const accepted = scriptedModel({ 'gpt-4o-primary': [{ ok: 'a cat' }] });
    const refused = scriptedModel({ 'gpt-4o-primary': [{ ok: '{"category":"cat"}' }] });

    // Act
    const ok = await invokeModel({ clientFor: accepted.clientFor, onAnswer }, input());
    const invalid = await invokeModel(
      { clientFor: refused.clientFor, onAnswer },
      input({ task: task('classify') }),
    );

    // Assess
    expect(ok.ok).toBe(true);
    expect(invalid.ok).toBe(false);
    expect(given).toEqual([ok]);
    expect(given[0]).toMatchObject({ model: 'gpt-4o', text: 'a cat', cached: false });
  });

  it('rejects audio for a task with no audio-capable route', async () => {
    const imageOnly = { ...task('describe'), routes: ['gpt-4o-primary'] };
    const model = scriptedModel({});
    const outcome = await invokeModel(
      { clientFor: model.clientFor },
      input({ task: imageOnly, media: audio }),
    );
    expect(outcome).toMatchObject({ ok: false, rejection: { reason: 'MODEL_REQUEST_INVALID' } });
    expect(model.calls).toHaveLength(0);
  });

  it('sends audio to the audio-capable route in input_audio mode', async () => {
    const model = scriptedModel({});
    const outcome = await invokeModel(
      { clientFor: model.clientFor },
      input({ media: audio, mediaInfo: { durationSec: 4 } }),
    );
    expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-audio-primary', model: 'gpt-4o-audio-preview' });
    expect(outcome.ok && outcome.estimate.audioTokens).toBe(40);
  });

  it('transcribes first, then sends the transcript as text, in transcribe mode', async () => {
    // Prepare
    const model = scriptedModel({ 'gpt-4o-transcribe-primary': [{ ok: 'call the bank tomorrow' }] });

    // Act
    const outcome = await invokeModel(
      { clientFor: model.clientFor, priceOf },
      input({ task: task('summarize-voice-note'), media: audio, mediaInfo: { durationSec: 4 } }),
    );

    // Assess
    expect(model.calls.map((c) => c.route)).toEqual(['gpt-4o-transcribe-primary', 'gpt-4o-mini-primary']);
    expect(model.calls[1]?.request.media).toBeUndefined();
    expect(model.calls[1]?.request.instructions).toContain('call the bank tomorrow');
    expect(outcome).toMatchObject({
      ok: true,
      transcription: { route: 'gpt-4o-transcribe-primary', requestIds: ['req_1'] },
      requestIds: ['req_1', 'req_2'],
    });
  });

  describe('budget reservation', () => {
    it('reserves the dearest candidate route before the first call and reports it', async () => {
      // Prepare
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'fine' }] });
      const reserved: number[] = [];
      const request = input({ task: gpt4oOnly() });

      // Act
      const outcome = await invokeModel(
        {
          clientFor: model.clientFor,
          priceOf,
          reserveBudget: async (amount) => {
            reserved.push(amount);
            expect(model.calls).toHaveLength(0);
            return { ok: true };
          },
        },
        request,
      );

      // Assess: both routes are gpt-4o, so the dearest is the gpt-4o estimate
      expect(reserved).toHaveLength(1);
      expect(outcome).toMatchObject({ ok: true, preflightMicroUsd: reserved[0] });
      if (!outcome.ok) throw new Error('expected an answer');
      expect(reserved[0]).toBe(priceOf('gpt-4o', outcome.estimate));
    });

    it("reads the first route's breaker and takes its organisation tokens while the budget is reserved", async () => {
      // Prepare: a breaker and org limits that log when they read and when they admit
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'a cat' }] });
      const { log, breaker, orgLimits } = loggingAdmission();

      // Act
      const outcome = await invokeModel(
        { clientFor: model.clientFor, priceOf, breaker, orgLimits, reserveBudget: reserveLogged(log) },
        input({ task: gpt4oOnly() }),
      );

      // Assess: the org admission and the breaker read were under way before the reservation, once each
      expect(outcome.ok).toBe(true);
      expect(log).toEqual([
        'org read gpt-4o-primary',
        'breaker read gpt-4o-primary',
        'org admit',
        'reserve',
        'breaker admit',
      ]);
    });

    it('admits the first route on the reads its caller started, and reads nothing again', async () => {
      // Prepare: admission reads that log, started before invokeModel is called
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'a cat' }] });
      const { log, breaker, orgLimits } = loggingAdmission();
      const admissionStarted = startAdmission({ breaker, orgLimits }, 'gpt-4o-primary');
      log.push('caller reads the media');

      // Act
      const outcome = await invokeModel(
        { clientFor: model.clientFor, priceOf, breaker, orgLimits, reserveBudget: reserveLogged(log) },
        { ...input({ task: gpt4oOnly() }), admissionStarted },
      );

      // Assess: one read of each, before the media; the tokens taken once the prompt was known
      expect(outcome.ok).toBe(true);
      expect(log).toEqual([
        'org read gpt-4o-primary',
        'breaker read gpt-4o-primary',
        'caller reads the media',
        'org admit',
        'reserve',
        'breaker admit',
      ]);
    });

    it('reads the first route itself when its caller started another', async () => {
      // Prepare: reads started for a route that is not the task's first
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'a cat' }] });
      const { log, breaker, orgLimits } = loggingAdmission();
      const admissionStarted = startAdmission({ breaker, orgLimits }, 'gpt-4o-mini');

      // Act
      const outcome = await invokeModel(
        { clientFor: model.clientFor, priceOf, breaker, orgLimits, reserveBudget: reserveLogged(log) },
        { ...input({ task: gpt4oOnly() }), admissionStarted },
      );

      // Assess: the other route's reads go unused; the first route is read and admitted as usual
      expect(outcome.ok).toBe(true);
      expect(log).toEqual([
        'org read gpt-4o-mini',
        'breaker read gpt-4o-mini',
        'org read gpt-4o-primary',
        'breaker read gpt-4o-primary',
        'org admit',
        'reserve',
        'breaker admit',
      ]);
    });

    it('makes no model call when the budget refuses, and says BUDGET_EXCEEDED', async () => {
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'never' }] });
      const outcome = await invokeModel(
        {
          clientFor: model.clientFor,
          priceOf,
          reserveBudget: async () => ({
            ok: false,
            rejection: { reason: 'BUDGET_EXCEEDED', message: 'daily cap spent' },
          }),
        },
        input(),
      );
      expect(outcome).toMatchObject({ ok: false, rejection: { reason: 'BUDGET_EXCEEDED' } });
      expect(model.calls).toHaveLength(0);
    });

    it('reserves nothing for a cache hit', async () => {
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'first' }] });
      const cache = memoryCache();
      await invokeModel({ clientFor: model.clientFor, cache }, input());
      let reservations = 0;
      const hit = await invokeModel(
        {
          clientFor: model.clientFor,
          cache,
          priceOf,
          reserveBudget: async () => {
            reservations += 1;
            return { ok: true };
          },
        },
        input(),
      );
      expect(hit).toMatchObject({ ok: true, cached: true });
      expect(reservations).toBe(0);
    });
  });

  describe('result cache', () => {
    it('answers a repeat from the cache with no model call and zero usage', async () => {
      // Prepare
      const cache = memoryCache();
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'first answer' }] });
      await invokeModel({ clientFor: model.clientFor, cache }, input());

      // Act
      const second = await invokeModel({ clientFor: model.clientFor, cache }, input());

      // Assess
      expect(model.calls).toHaveLength(1);
      expect(second).toMatchObject({
        ok: true,
        text: 'first answer',
        cached: true,
        attempts: 0,
        requestIds: [],
      });
      expect(second.ok && second.usage).toEqual({
        promptTokens: 0,
        cachedPromptTokens: 0,
        audioPromptTokens: 0,
        completionTokens: 0,
        audioCompletionTokens: 0,
      });
      expect([...cache.entries.values()][0]?.ttlSeconds).toBe(300);
    });

    it.each([
      ['another task version', { task: { ...task('describe'), version: '2' } }],
      ['another tenant', { tenant: 'globex' }],
      ['other media', { mediaSha256: 'b'.repeat(64) }],
      ['another prompt', { promptText: 'Is it a dog?' }],
    ])('misses for %s', async (_label, change) => {
      const cache = memoryCache();
      const model = scriptedModel({});
      await invokeModel({ clientFor: model.clientFor, cache }, input());

      const second = await invokeModel(
        { clientFor: model.clientFor, cache },
        input(change as Partial<InvokeInput>),
      );

      expect(second).toMatchObject({ ok: true, cached: false });
      expect(model.calls).toHaveLength(2);
    });

    it('does not cache a rejected answer', async () => {
      const cache = memoryCache();
      const model = scriptedModel({ 'gpt-4o-primary': [{ ok: 'not json' }] });
      await invokeModel({ clientFor: model.clientFor, cache }, input({ task: task('classify') }));
      expect(cache.entries.size).toBe(0);
    });

    it('treats a failing cache as a miss rather than failing the item', async () => {
      const broken = {
        get: async () => Promise.reject(new Error('table gone')),
        put: async () => Promise.reject(new Error('table gone')),
      };
      const model = scriptedModel({});
      await expect(
        invokeModel({ clientFor: model.clientFor, cache: broken }, input()),
      ).resolves.toMatchObject({ ok: true, cached: false });
    });
  });

  describe('with a circuit breaker', () => {
    it('skips a route whose breaker is open and takes the fallback', async () => {
      const breaker: RouteBreaker = {
        admit: async (route) =>
          route === 'gpt-4o-primary'
            ? { allowed: false, probe: false, state: 'open' }
            : { allowed: true, probe: false, state: 'closed' },
        record: async () => {},
      };
      const model = scriptedModel({});
      const outcome = await invokeModel({ clientFor: model.clientFor, breaker }, input());
      expect(outcome).toMatchObject({
        ok: true,
        route: 'gpt-4o-secondary',
        skipped: [{ route: 'gpt-4o-primary', why: 'breaker_open' }],
      });
    });

    it('parks when every route is open', async () => {
      const breaker: RouteBreaker = {
        admit: async () => ({ allowed: false, probe: false, state: 'open' }),
        record: async () => {},
      };
      const model = scriptedModel({});
      await expect(invokeModel({ clientFor: model.clientFor, breaker }, input())).rejects.toThrow(
        /breaker open/,
      );
      expect(model.calls).toHaveLength(0);
    });

    it('gives the half-open probe a single attempt and reports each result', async () => {
      // Prepare
      const results: [string, boolean][] = [];
      const breaker: RouteBreaker = {
        admit: async (route) =>
          route === 'gpt-4o-primary'
            ? { allowed: true, probe: true, state: 'half_open' }
            : { allowed: true, probe: false, state: 'closed' },
        record: async (route, _admission, success) => void results.push([route, success]),
      };
      const model = scriptedModel({ 'gpt-4o-primary': [{ fail: 'retryable', status: 503 }] });
      const { sleep, sleeps } = recordingSleep();

      // Act
      const outcome = await invokeModel({ clientFor: model.clientFor, breaker, sleep }, input());

      // Assess
      expect(sleeps).toEqual([]);
      expect(results).toEqual([
        ['gpt-4o-primary', false],
        ['gpt-4o-secondary', true],
      ]);
      expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-secondary' });
    });
  });
});
