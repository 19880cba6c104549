import { describe, expect, it } from 'vitest';
import type { AuditDecision } from '../../../functions/audit/record.js';
import { runModelStep } from '../../../functions/invoke-model/model-step.js';
import type { ReserveResult } from '../../../functions/money/budget.js';
import type { PipelineState } from '../../../functions/pipeline/document.js';
import { ModelUnavailableError } from '../../../functions/pipeline/reasons.js';
import { pipelineStep } from '../../../functions/pipeline/step.js';
import { resolveTenant, TENANT_SEED } from '../../../functions/tenants/registry.js';
import { memoryBlobs } from '../../fixtures/memory-blobs.js';
import { memoryRateBuckets } from '../../fixtures/memory-rate-buckets.js';
import { memoryLedger, type Step, scriptedModel } from '../model/fakes.js';

function budget(refuse = false) {
  const calls: string[] = [];
  return {
    calls,
    async reserve(_tenant: string, amount: number, id: string): Promise<ReserveResult> {
      calls.push(`reserve ${id} ${amount > 0 ? '>0' : '0'}`);
      if (refuse) {
        return {
          ok: false,
          verdict: 'exceeded',
          period: 'day',
          capMicroUsd: 1,
          tier: 'trial',
          rejection: { reason: 'BUDGET_EXCEEDED', message: 'spent' },
        };
      }
      return { ok: true, reservationId: id, duplicate: false };
    },
    async release(_tenant: string, id: string) {
      calls.push(`release ${id}`);
      return { released: true };
    },
    async reclaimExpired() {
      return 0;
    },
  };
}

async function setup(script: Step[], options: { refuse?: boolean; log?: string[] } = {}) {
  const blobs = memoryBlobs();
  const log = options.log;
  await blobs.put('processed', 'processed/acme/mg-1', Buffer.from('jpeg bytes'), {
    contentType: 'image/jpeg',
  });
  await blobs.put('processed', 'prompts/acme/mg-1.txt', Buffer.from('What is it?'));
  await blobs.put('ingest', 'incoming/acme/1', Buffer.from('jpeg bytes'), {
    metadata: { instructions: 'What%20is%20it%3F' },
  });
  const model = scriptedModel({ 'gpt-4o-primary': script });
  const held = budget(options.refuse);
  const tiers: string[] = [];
  const state: PipelineState = {
    executionId: 'mg-1',
    bucket: 'ingest',
    key: 'incoming/acme/1',
    sizeBytes: 10,
    tenant: 'acme',
    objectKeyHash: 'h',
    receivedAt: '2026-12-01T00:00:00.000Z',
    status: 'in_progress',
    task: 'extract-fields',
    steps: [],
    media: { kind: 'image', inputType: 'image/jpeg', sanitizedKey: 's', removed: [] },
    processed: {
      key: 'processed/acme/mg-1',
      mime: 'image/jpeg',
      sha256: 'a'.repeat(64),
      bytes: 10,
      width: 1024,
      height: 768,
    },
    dlp: {
      detector: 'local',
      decision: 'allow',
      findings: [],
      modelInputKey: 'processed/acme/mg-1',
      promptKey: 'prompts/acme/mg-1.txt',
      policyVersion: 'default@1',
    },
  };
  const ledger = memoryLedger();
  const deps = {
    blobs,
    ledger,
    buckets: { ingest: 'ingest', processed: 'processed', results: 'results' },
    budget: held,
    admission: {
      tenants: {
        resolve: async (tenant: string) => {
          log?.push('tenant read');
          return resolveTenant(TENANT_SEED, tenant, undefined);
        },
      },
      buckets: memoryRateBuckets(),
      timeScale: 1,
    },
    onBudgetExceeded: (tier: string) => tiers.push(tier),
    invoke: {
      clientFor: model.clientFor,
      priceOf: () => 1_000,
      retry: { maxAttempts: 1 },
      routeAvailable: (route: { endpoint: string }) => route.endpoint === 'primary',
      ...(log ? loggedGates(log) : {}),
    },
  };
  if (log) {
    const get = blobs.get.bind(blobs);
    blobs.get = async (...args: Parameters<typeof get>) => {
      const got = await get(...args);
      log.push(`read ${args[1]}`);
      return got;
    };
  }
  const limits = { deadlineMs: Number.MAX_SAFE_INTEGER, attemptTimeoutMs: 0 };
  return {
    run: () => runModelStep(deps, state, limits),
    model,
    held,
    tiers,
    blobs,
    ledger,
    deps,
    state,
    limits,
  };
}

/** A closed breaker and roomy organisation limits that log their reads. */
function loggedGates(log: string[]) {
  const admitted = { allowed: true, probe: false, state: 'closed' } as const;
  return {
    breaker: {
      admit: async () => admitted,
      prepareAdmit: (route: string) => {
        log.push(`breaker read ${route}`);
        return async () => admitted;
      },
      record: async () => {},
    },
    orgLimits: {
      admit: async () => ({ ok: true }) as const,
      observe: async () => {},
      prepareAdmit: (route: string) => {
        log.push(`org read ${route}`);
        return async () => ({ ok: true }) as const;
      },
    },
  };
}

const schemaAnswer = JSON.stringify({ documentType: 'claim form', fields: [] });

describe('the InvokeModel step', () => {
  it('ends budget_exceeded with no model call when the cap refuses, and says which tier', async () => {
    const { run, model, tiers } = await setup([{ ok: schemaAnswer }], { refuse: true });
    const next = await run();
    expect(next).toMatchObject({ status: 'budget_exceeded', reason: 'BUDGET_EXCEEDED' });
    expect(model.calls).toHaveLength(0);
    expect(tiers).toEqual(['trial']);
  });

  it('gives the reservation back when the model is unavailable, and lets the item park', async () => {
    const { run, held } = await setup([{ fail: 'retryable', status: 503 }]);
    await expect(run()).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(held.calls).toEqual(['reserve mg-1#InvokeModel >0', 'release mg-1#InvokeModel']);
  });

  it('gives the reservation back for a rejection nobody billed (400)', async () => {
    const { run, held } = await setup([{ fail: 'invalid', status: 400 }]);
    const next = await run();
    expect(next).toMatchObject({ status: 'rejected', reason: 'MODEL_REQUEST_INVALID' });
    expect(next.model).toBeUndefined();
    expect(held.calls.at(-1)).toBe('release mg-1#InvokeModel');
  });

  it('keeps the reservation and reports the usage of a refusal OpenAI billed, for RecordCost to charge', async () => {
    const { run, held } = await setup([{ fail: 'refused', billed: true }]);
    const next = await run();
    expect(next).toMatchObject({
      status: 'rejected',
      reason: 'MODEL_REFUSED',
      model: { modelCallBilled: true, usage: { promptTokens: 10 }, reservation: { id: 'mg-1#InvokeModel' } },
    });
    expect(held.calls.some((c) => c.startsWith('release'))).toBe(false);
  });

  it('charges an answer that came without usage at its pre-flight estimate, and says so', async () => {
    const { run } = await setup([{ ok: schemaAnswer, usageMissing: true }]);
    const next = await run();
    expect(next.model?.costSource).toBe('estimate');
    // The tokens the estimate stands for (input as estimated, output at the task's bound), never zeros.
    expect(next.model?.usage.promptTokens).toBeGreaterThan(0);
    expect(next.model?.usage.completionTokens).toBe(800);
    expect(next.model?.estimateMicroUsd).toBeGreaterThan(0);
  });

  it('records an attempt of unknown outcome as exposure before the item parks, charging nothing', async () => {
    const { run, ledger } = await setup([{ fail: 'retryable', status: undefined, outcomeUnknown: true }]);
    await expect(run()).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(ledger.entries).toMatchObject([
      {
        id: 'mg-1#InvokeModel#unconfirmed#req_1',
        kind: 'unconfirmed_attempt',
        model: 'gpt-4o',
        costMicroUsd: 0,
        requestIds: ['req_1'],
      },
    ]);
    expect(ledger.entries[0]?.exposureMicroUsd).toBeGreaterThan(0);
  });

  it("reads the tenant's record and the first route's breaker and organisation bucket beside the media", async () => {
    // Prepare: every read logged as it starts (gates) or ends (objects)
    const log: string[] = [];
    const { run } = await setup([{ ok: schemaAnswer }], { log });

    // Act
    const next = await run();

    // Assess: admission's reads started before the media and the prompt had been read, once each
    expect(next.status).toBe('in_progress');
    const firstObject = log.findIndex((entry) => entry.startsWith('read '));
    expect(log.slice(0, firstObject).sort()).toEqual([
      'breaker read gpt-4o-primary',
      'org read gpt-4o-primary',
      'tenant read',
    ]);
    expect(log.filter((entry) => entry.startsWith('org read'))).toHaveLength(1);
    expect(log.filter((entry) => entry.startsWith('breaker read'))).toHaveLength(1);
  });

  it("queues its audit decision beside the answer's writes, once", async () => {
    // Prepare: the result object's write waits (up to 200 ms) for the decision to be queued
    const { deps, state, limits, blobs } = await setup([{ ok: schemaAnswer }]);
    const log: string[] = [];
    const queued: AuditDecision[] = [];
    let decisionQueued = () => {};
    const queuedNow = new Promise<void>((resolve) => {
      decisionQueued = resolve;
    });
    const audit = {
      append: async (decision: AuditDecision) => {
        queued.push(decision);
        log.push('decision queued');
        decisionQueued();
      },
    };
    const put = blobs.put.bind(blobs);
    blobs.put = async (...args: Parameters<typeof put>) => {
      if (args[0] === 'results') {
        await Promise.race([queuedNow, new Promise((resolve) => setTimeout(resolve, 200))]);
        log.push('answer stored');
      }
      return put(...args);
    };
    const step = pipelineStep('InvokeModel', (s) => runModelStep(deps, s, limits), { audit });

    // Act
    const next = await step(state);

    // Assess: queued while the answer was being stored, not after; one record, which the result bears out
    expect(next.model?.resultKey).toBeDefined();
    expect(log).toEqual(['decision queued', 'answer stored']);
    expect(queued).toHaveLength(1);
    expect(queued[0]?.detail).toMatchObject({
      kind: 'model_call',
      verdict: 'answered',
      route: 'gpt-4o-primary',
    });
  });

  it('stores the answer and fills in the model section', async () => {
    const { run, blobs } = await setup([{ ok: schemaAnswer }]);
    const next = await run();
    expect(next.status).toBe('in_progress');
    expect(next.model).toMatchObject({
      route: 'gpt-4o-primary',
      cached: false,
      costSource: 'usage',
      resultKey: 'results/acme/mg-1.json',
    });
    expect(blobs.objects.has('results/results/acme/mg-1.json')).toBe(true);
  });
});
