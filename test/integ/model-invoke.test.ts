import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiModelClient } from '../../functions/adapters/openai-model-client.js';
import { priceOfEstimate } from '../../functions/model/estimate.js';
import { type InvokeDeps, type InvokeInput, invokeModel } from '../../functions/model/invoke.js';
import { findTask, type TaskDefinition } from '../../functions/model/tasks.js';
import { ModelUnavailableError, PermanentStepError } from '../../functions/pipeline/reasons.js';
import { type RunningSimulator, startOpenAiSimulator } from '../../infra/local/openai-simulator/server.js';

function task(id: string, overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  const found = findTask(id);
  if (!found) throw new Error(`no task ${id}`);
  return { ...found, ...overrides };
}

let sim: RunningSimulator;
let image: Buffer;
let sleeps: number[];

function deps(overrides: Partial<InvokeDeps> = {}): InvokeDeps {
  // Both logical endpoints point at the one simulator; the route name still tells them apart.
  const client = createOpenAiModelClient({ apiKey: 'sk-simulated', baseURL: sim.baseUrl, timeoutMs: 1_000 });
  return {
    clientFor: () => client,
    // Record the sleeps the policy asks for instead of waiting: assertions are on the policy, not the clock.
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...overrides,
  };
}

function input(overrides: Partial<InvokeInput> = {}): InvokeInput {
  return {
    tenant: 'acme',
    task: task('describe', { routes: ['gpt-4o-primary', 'gpt-4o-secondary'] }),
    promptText: 'What is in the picture?',
    media: { kind: 'image', mime: 'image/png', bytes: image, detail: 'high' },
    mediaInfo: { width: 1024, height: 1024 },
    mediaSha256: 'f'.repeat(64),
    ...overrides,
  };
}

beforeAll(async () => {
  sim = await startOpenAiSimulator();
  image = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: '#888' } })
    .png()
    .toBuffer();
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.setFaults('');
  sim.requests.length = 0;
  sleeps = [];
});

describe('invokeModel against the simulator with the real SDK', () => {
  it('answers, with billed usage matching the pre-flight image estimate and the request id captured', async () => {
    const outcome = await invokeModel(deps(), input());

    expect(outcome).toMatchObject({
      ok: true,
      route: 'gpt-4o-primary',
      // What the API names: the snapshot the alias ran on.
      model: 'gpt-4o-2024-08-06',
      attempts: 1,
      cached: false,
    });
    if (!outcome.ok) return;
    expect(outcome.requestIds).toEqual([sim.requests[0]?.requestId]);
    expect(outcome.usage.promptTokens).toBe(outcome.estimate.textTokens + outcome.estimate.imageTokens);
  });

  it('honours retry-after: 2 s, then succeeds', async () => {
    sim.setFaults('429@2');

    const outcome = await invokeModel(deps(), input());

    expect(sleeps).toEqual([2_000]);
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(outcome.requestIds).toEqual(sim.requests.map((r) => r.requestId));
    expect(sim.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it('honours retry-after-ms', async () => {
    sim.setFaults('429ms@750');
    await invokeModel(deps(), input());
    expect(sleeps).toEqual([750]);
  });

  it('does not retry insufficient_quota', async () => {
    sim.setFaults('quota');

    await expect(invokeModel(deps(), input())).rejects.toMatchObject({
      name: 'MODEL_QUOTA_EXHAUSTED',
      code: 'MODEL_QUOTA_EXHAUSTED',
    });
    expect(sim.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries malformed JSON, a reset and a timeout, keeping every request id the server sent', async () => {
    sim.setFaults('malformed,reset,timeout');

    const outcome = await invokeModel(deps({ retry: { maxAttempts: 4 } }), input());

    expect(outcome).toMatchObject({ ok: true, attempts: 4 });
    // The reset and the timeout never produced a response, so there is no id to keep for them.
    expect(outcome.requestIds).toEqual([sim.requests[0]?.requestId, sim.requests[3]?.requestId]);
    expect(sleeps).toHaveLength(3);
  });

  it('falls back to the secondary endpoint after the primary exhausts its attempts', async () => {
    sim.setFaults('503,503,503');
    const outcome = await invokeModel(deps(), input());
    expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-secondary', attempts: 4 });
  });

  it('skips a fallback whose pre-flight estimate costs more (gpt-4o-mini on a high-detail image with a short answer)', async () => {
    // Prepare: 1024² high detail is 765 tokens on gpt-4o but 25 501 on gpt-4o-mini; with a 150-token
    // answer bound the mini route's estimate is dearer, so it must not be the fallback.
    sim.setFaults('503,503,503');
    const chain = task('describe', {
      routes: ['gpt-4o-primary', 'gpt-4o-mini-primary'],
      maxOutputTokens: 150,
    });

    // Act
    const outcome = invokeModel(deps({ priceOf: priceOfEstimate }), input({ task: chain }));

    // Assess: primary's three attempts, no fourth request to mini; the item parks instead
    await expect(outcome).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(sim.requests.map((r) => r.model)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o']);
  });

  it('takes the cheaper fallback when its estimate is lower (gpt-4o-mini on answers that are usually long)', async () => {
    sim.setFaults('503,503,503');
    const chain = task('describe', {
      routes: ['gpt-4o-primary', 'gpt-4o-mini-primary'],
      maxOutputTokens: 400,
      typicalOutputTokens: 400,
    });

    const outcome = await invokeModel(deps({ priceOf: priceOfEstimate }), input({ task: chain }));

    expect(outcome).toMatchObject({
      ok: true,
      route: 'gpt-4o-mini-primary',
      model: 'gpt-4o-mini-2024-07-18',
    });
  });

  it('parks instead of falling back to gpt-4o-mini on a photo when the answer is usually short', async () => {
    // describe: five sentences (~120 tokens) bounded at 400; at 120, mini's 33x image tokens cost more
    sim.setFaults('503,503,503');
    const chain = task('describe', { routes: ['gpt-4o-primary', 'gpt-4o-mini-primary'] });

    const outcome = invokeModel(deps({ priceOf: priceOfEstimate }), input({ task: chain }));

    await expect(outcome).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(sim.requests.map((r) => r.model)).toEqual(['gpt-4o', 'gpt-4o', 'gpt-4o']);
  });

  it('sends a text-only request to the cheaper model first, whatever order the chain lists', async () => {
    const chain = task('describe', { routes: ['gpt-4o-primary', 'gpt-4o-mini-primary'] });

    const outcome = await invokeModel(
      deps({ priceOf: priceOfEstimate }),
      input({ task: chain, media: undefined, mediaInfo: undefined }),
    );

    expect(outcome).toMatchObject({ ok: true, route: 'gpt-4o-mini-primary' });
    expect(sim.requests.map((r) => r.model)).toEqual(['gpt-4o-mini']);
  });

  it('parks the item when the outage outlasts every route', async () => {
    sim.setFaults('503*6');
    const outcome = invokeModel(deps(), input());
    await expect(outcome).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(sim.requests).toHaveLength(6);
  });

  it('maps refusals, by status or by message, to MODEL_REFUSED', async () => {
    sim.setFaults('refusal,refusal-message');
    const byStatus = await invokeModel(deps(), input());
    const byMessage = await invokeModel(deps(), input());
    expect(byStatus).toMatchObject({ ok: false, rejection: { reason: 'MODEL_REFUSED' } });
    expect(byMessage).toMatchObject({ ok: false, rejection: { reason: 'MODEL_REFUSED' } });
  });

  it('validates a structured answer against the task schema', async () => {
    const outcome = await invokeModel(
      deps(),
      input({ task: task('classify', { routes: ['gpt-4o-primary'] }) }),
    );
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.ok && JSON.parse(outcome.text)).toEqual({
      category: 'photo',
      confidence: 0,
      containsText: false,
    });
  });

  it('survives a burst of concurrent items through a flaky endpoint with nothing lost', async () => {
    // Prepare
    sim.setFaults('503,429@1,reset,502,malformed,503,429ms@100,504');
    const items = Array.from({ length: 12 }, (_, i) =>
      input({ promptText: `item ${i}`, mediaSha256: String(i).padStart(64, '0') }),
    );

    // Act
    const outcomes = await Promise.all(items.map((item) => invokeModel(deps(), item)));

    // Assess
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(sim.requests).toHaveLength(12 + 8);
    const ids = outcomes.flatMap((o) => o.requestIds);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('transcribes a voice note, then answers it on the cheaper text route', async () => {
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.writeUInt32LE(36 + 32_000, 4);
    header.write('WAVEfmt ', 8, 'ascii');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(16_000, 24);
    header.writeUInt32LE(32_000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36, 'ascii');
    header.writeUInt32LE(32_000, 40);
    const voice = Buffer.concat([header, Buffer.alloc(32_000)]);

    const outcome = await invokeModel(
      deps(),
      input({
        task: task('summarize-voice-note'),
        media: { kind: 'audio', format: 'wav', bytes: voice },
        mediaInfo: { durationSec: 1 },
      }),
    );

    expect(outcome).toMatchObject({
      ok: true,
      route: 'gpt-4o-mini-primary',
      transcription: { model: 'gpt-4o-transcribe' },
    });
    expect(sim.requests.map((r) => r.path)).toEqual(['/v1/audio/transcriptions', '/v1/chat/completions']);
    expect(outcome.ok && outcome.transcription?.usage.audioPromptTokens).toBe(10);
  });

  it('throws PermanentStepError for a rejected API key', async () => {
    sim.setFaults('401');
    await expect(invokeModel(deps(), input())).rejects.toBeInstanceOf(PermanentStepError);
  });
});
