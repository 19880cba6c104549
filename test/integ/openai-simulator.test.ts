import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'gpt-tokenizer/model/gpt-4o';
import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAiModelClient } from '../../functions/adapters/openai-model-client.js';
import { priceModelUsage } from '../../functions/money/prices.js';
import { ModelCallError, type ModelCallRequest } from '../../functions/ports.js';
import { type RunningSimulator, startOpenAiSimulator } from '../../infra/local/openai-simulator/server.js';
import { NPM_FFMPEG } from '../../scripts/fixture-tools.js';

/** 16-bit mono PCM WAV of silence. */
function wav(seconds: number, sampleRate = 16_000): Buffer {
  const data = Math.round(seconds * sampleRate) * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data, 40);
  return Buffer.concat([header, Buffer.alloc(data)]);
}

function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
}

/** Framing the simulator bills for one user message (3 + role 'user' + 3 reply priming). */
const FRAMING = 7;

let sim: RunningSimulator;
let sdk: OpenAI;
let client: ReturnType<typeof createOpenAiModelClient>;

async function callError(request: ModelCallRequest): Promise<ModelCallError> {
  try {
    await client.call(request);
  } catch (error) {
    if (error instanceof ModelCallError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const text = (instructions: string): ModelCallRequest => ({
  model: 'gpt-4o',
  instructions,
  maxOutputTokens: 200,
});

beforeAll(async () => {
  sim = await startOpenAiSimulator();
  sdk = new OpenAI({ apiKey: 'sk-simulated', baseURL: sim.baseUrl, maxRetries: 0 });
  client = createOpenAiModelClient({ apiKey: 'sk-simulated', baseURL: sim.baseUrl, timeoutMs: 5_000 });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.setFaults('');
  sim.setLatency(0);
  sim.requests.length = 0;
});

describe('OpenAI simulator, through the real SDK', () => {
  it('answers deterministically, says it is simulated and bills a 1024×1024 high-detail image at 765 tokens', async () => {
    // Prepare
    const image = await png(1024, 1024);
    const request: ModelCallRequest = {
      model: 'gpt-4o',
      instructions: 'Describe the picture.',
      media: { kind: 'image', mime: 'image/png', bytes: image, detail: 'high' },
      maxOutputTokens: 300,
    };

    // Act
    const first = await client.call(request);
    const second = await client.call(request);

    // Assess
    expect(first.text).toMatch(/^\[simulated gpt-4o\] /);
    expect(first.text).toContain('1024×1024');
    expect(second.text).toBe(first.text);
    expect(first.usage).toEqual({
      promptTokens: 765 + encode('Describe the picture.').length + FRAMING,
      cachedPromptTokens: 0,
      audioPromptTokens: 0,
      completionTokens: encode(first.text).length,
      audioCompletionTokens: 0,
    });
    expect(first.requestId).toMatch(/^req_sim_[0-9a-f]+$/);
    expect(sim.requests.map((r) => r.requestId)).toEqual([first.requestId, second.requestId]);
    expect(sim.requests[0]).toMatchObject({
      path: '/v1/chat/completions',
      model: 'gpt-4o',
      status: 200,
      hasImage: true,
      hasAudio: false,
    });
  });

  it('keeps the image it received so a test can inspect exactly what the model saw', async () => {
    const image = await png(64, 32);
    await client.call({
      ...text('x'),
      media: { kind: 'image', mime: 'image/png', bytes: image, detail: 'low' },
    });
    const url = sim.requests[0]?.imageDataUrl ?? '';
    expect(Buffer.from(url.split(',')[1] ?? '', 'base64').equals(image)).toBe(true);
  });

  it('bills 2048×4096 high at 1105 tokens, low detail at 85, and a small auto image as low', async () => {
    const tall = await client.call({
      ...text('x'),
      media: { kind: 'image', mime: 'image/png', bytes: await png(2048, 4096), detail: 'high' },
    });
    const low = await client.call({
      ...text('x'),
      media: { kind: 'image', mime: 'image/png', bytes: await png(2048, 4096), detail: 'low' },
    });
    const small = await client.call({
      ...text('x'),
      media: { kind: 'image', mime: 'image/png', bytes: await png(300, 200), detail: 'auto' },
    });
    const textOnly = encode('x').length + FRAMING;
    expect(tall.usage.promptTokens).toBe(1105 + textOnly);
    expect(low.usage.promptTokens).toBe(85 + textOnly);
    expect(small.usage.promptTokens).toBe(85 + textOnly);
  });

  it('bills gpt-4o-mini image tiles at its own, higher, token rate', async () => {
    const result = await client.call({
      model: 'gpt-4o-mini',
      instructions: 'x',
      media: { kind: 'image', mime: 'image/png', bytes: await png(1024, 1024), detail: 'high' },
      maxOutputTokens: 50,
    });
    expect(result.usage.promptTokens).toBe(2833 + 4 * 5667 + encode('x').length + FRAMING);
  });

  it('bills input audio at 10 tokens a second on an audio model and refuses audio on gpt-4o', async () => {
    // Prepare
    const media = { kind: 'audio', format: 'wav', bytes: wav(2.5) } as const;

    // Act
    const result = await client.call({
      model: 'gpt-4o-audio-preview',
      instructions: 'Summarise.',
      media,
      maxOutputTokens: 100,
    });
    const onGpt4o = await callError({
      model: 'gpt-4o',
      instructions: 'Summarise.',
      media,
      maxOutputTokens: 100,
    });

    // Assess
    expect(result.usage.audioPromptTokens).toBe(25);
    expect(result.usage.promptTokens).toBe(25 + encode('Summarise.').length + FRAMING);
    expect(result.text).toContain('2.5 s of audio');
    expect(onGpt4o).toMatchObject({ kind: 'invalid', details: { status: 400 } });
    expect(sim.requests[0]).toMatchObject({ hasAudio: true, hasImage: false });
  });

  it('reads the duration of an MP3 from its frames', async () => {
    // Prepare: 3 s of tone through ffmpeg's MP3 encoder
    const dir = mkdtempSync(join(tmpdir(), 'sim-mp3-'));
    try {
      const file = join(dir, 'tone.mp3');
      execFileSync(NPM_FFMPEG, [
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:duration=3',
        '-ac',
        '1',
        '-ar',
        '44100',
        '-b:a',
        '64k',
        file,
      ]);

      // Act
      const result = await client.call({
        model: 'gpt-4o-audio-preview',
        instructions: 'x',
        media: { kind: 'audio', format: 'mp3', bytes: readFileSync(file) },
        maxOutputTokens: 50,
      });

      // Assess: encoder padding adds at most a couple of 26 ms frames
      expect(result.usage.audioPromptTokens).toBeGreaterThanOrEqual(30);
      expect(result.usage.audioPromptTokens).toBeLessThanOrEqual(31);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns JSON that fits the schema when Structured Outputs are requested', async () => {
    const schema = {
      type: 'object',
      properties: {
        label: { type: 'string' },
        score: { type: 'number', minimum: 0, maximum: 1 },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['label', 'score', 'tags'],
      additionalProperties: false,
    };
    const result = await client.call({ ...text('Classify.'), responseSchema: { name: 'c', schema } });
    expect(JSON.parse(result.text)).toEqual({
      label: '[simulated] label',
      score: 0,
      tags: ['[simulated] tags'],
    });
  });

  it('truncates at max_completion_tokens and says so', async () => {
    const completion = await sdk.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 5,
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(5);
  });

  it('reports a long repeated prompt as cached in 128-token steps', async () => {
    const long = 'word '.repeat(1500);
    const first = await client.call(text(long));
    const second = await client.call(text(long));
    expect(first.usage.cachedPromptTokens).toBe(0);
    expect(second.usage.cachedPromptTokens).toBe(
      1024 + Math.floor((second.usage.promptTokens - 1024) / 128) * 128,
    );
  });

  it('answers an unknown model with 404 model_not_found, as OpenAI does', async () => {
    const error = await callError({ ...text('x'), model: 'gpt-9' });
    expect(error).toMatchObject({ kind: 'invalid', details: { status: 404 } });
    expect(error.message).toContain('model_not_found');
  });

  it('lists its models', async () => {
    const ids = [];
    for await (const model of sdk.models.list()) ids.push(model.id);
    expect(ids).toEqual(
      expect.arrayContaining(['gpt-4o', 'gpt-4o-mini', 'gpt-4o-audio-preview', 'gpt-4o-transcribe']),
    );
  });

  it('transcribes audio on /v1/audio/transcriptions with token usage', async () => {
    const result = await client.call({
      model: 'gpt-4o-transcribe',
      instructions: '',
      media: { kind: 'audio', format: 'wav', bytes: wav(4) },
      maxOutputTokens: 0,
    });
    expect(result.text).toMatch(/^\[simulated gpt-4o-transcribe\] Transcript of 4 s of audio/);
    expect(result.usage.audioPromptTokens).toBe(40);
    expect(result.requestId).toBe(sim.requests[0]?.requestId);
    expect(sim.requests[0]?.path).toBe('/v1/audio/transcriptions');
  });

  it('adds the configured latency before answering', async () => {
    sim.setLatency({ min: 150, max: 160 });
    const started = performance.now();
    await client.call(text('x'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('serves concurrent requests, each with its own request id', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.call(text(`question ${i}`))),
    );
    expect(new Set(results.map((r) => r.requestId)).size).toBe(20);
    expect(sim.requests.every((r) => r.status === 200)).toBe(true);
  });
});

describe('OpenAI simulator fault script, as the adapter sees it', () => {
  it('plays one entry per request in order, then answers normally again', async () => {
    // Prepare
    sim.setFaults('429@2,429ms@500,503,502,500,504,quota,refusal,malformed,reset,refusal-message');

    // Act
    const errors: (ModelCallError | string)[] = [];
    for (let i = 0; i < 11; i++) errors.push(await callError(text('x')));
    const after = await client.call(text('x'));

    // Assess
    const summary = errors.map((e) =>
      typeof e === 'string' ? e : [e.kind, e.details.status, e.details.retryAfterMs],
    );
    expect(summary).toEqual([
      ['retryable', 429, 2_000],
      ['retryable', 429, 500],
      ['retryable', 503, undefined],
      ['retryable', 502, undefined],
      ['retryable', 500, undefined],
      ['retryable', 504, undefined],
      ['quota', 429, undefined],
      ['refused', 400, undefined],
      ['retryable', undefined, undefined],
      ['retryable', undefined, undefined],
      ['refused', undefined, undefined],
    ]);
    expect(after.text).toMatch(/^\[simulated gpt-4o\]/);
  });

  it('keeps the request id of a 200 whose body is broken JSON', async () => {
    sim.setFaults('malformed');
    const error = await callError(text('x'));
    expect(error.details.requestId).toBe(sim.requests[0]?.requestId);
    expect(error.details.requestId).toMatch(/^req_sim_/);
  });

  it('holds a timeout past the client timeout, which the client reports as retryable', async () => {
    // Prepare
    const impatient = createOpenAiModelClient({
      apiKey: 'sk-simulated',
      baseURL: sim.baseUrl,
      timeoutMs: 300,
    });
    sim.setFaults('timeout');

    // Act
    const started = performance.now();
    const error = await impatient.call(text('x')).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ModelCallError);
    expect(error).toMatchObject({ kind: 'retryable' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('does not keep the server open on a held timeout', async () => {
    // Prepare
    const own = await startOpenAiSimulator({ faults: 'timeout' });
    const patient = createOpenAiModelClient({
      apiKey: 'sk-simulated',
      baseURL: own.baseUrl,
      timeoutMs: 60_000,
    });
    const pending = patient.call(text('x')).catch((e: unknown) => e);
    while (own.requests.length === 0) await new Promise((r) => setTimeout(r, 10));

    // Act
    const started = performance.now();
    await own.close();

    // Assess
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await pending).toMatchObject({ kind: 'retryable' });
  });

  it('rejects a request without an API key as 401', async () => {
    const response = await fetch(`${sim.baseUrl}/chat/completions`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toMatch(/^req_sim_/);
    expect(await response.json()).toMatchObject({
      error: { code: 'missing_api_key', type: 'invalid_request_error' },
    });
  });

  it('fails fast on a bad fault script', async () => {
    expect(() => sim.setFaults('teapot')).toThrow(/unknown fault "teapot"/);
    await expect(startOpenAiSimulator({ faults: '429@' })).rejects.toThrow(/unknown fault/);
  });

  it('plays 503*40 as forty outages in a row, then answers', async () => {
    sim.setFaults('503*40');
    for (let i = 0; i < 40; i++)
      expect(await callError(text('x'))).toMatchObject({ details: { status: 503 } });
    await expect(client.call(text('x'))).resolves.toMatchObject({ model: 'gpt-4o-2024-08-06' });
  });

  it('answers no-usage with a normal 200 whose body has no usage field', async () => {
    sim.setFaults('no-usage');
    const { data, response } = await sdk.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toMatch(/^\[simulated gpt-4o\]/);
    expect(data).not.toHaveProperty('usage');
  });
});

describe('OpenAI simulator, the fields the real API sends', () => {
  it('names the dated snapshot in model, and the model client records that id, which the price table knows', async () => {
    const fourO = await client.call(text('x'));
    const mini = await client.call({ ...text('x'), model: 'gpt-4o-mini' });
    const dated = await client.call({ ...text('x'), model: 'gpt-4o-2024-11-20' });

    expect([fourO.model, mini.model, dated.model]).toEqual([
      'gpt-4o-2024-08-06',
      'gpt-4o-mini-2024-07-18',
      'gpt-4o-2024-11-20',
    ]);
    // The ledger prices what the API names: a dated id must find its family's price.
    expect(priceModelUsage({ model: fourO.model, usage: fourO.usage }).costMicroUsd).toBe(
      priceModelUsage({ model: 'gpt-4o', usage: fourO.usage }).costMicroUsd,
    );
    expect(priceModelUsage({ model: mini.model, usage: mini.usage }).costMicroUsd).toBe(
      priceModelUsage({ model: 'gpt-4o-mini', usage: mini.usage }).costMicroUsd,
    );
  });

  it('splits prompt_tokens into text, image, audio and cached tokens, and completion tokens into their kinds', async () => {
    const completion = await sdk.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'x' },
            {
              type: 'image_url',
              image_url: {
                url: `data:image/png;base64,${(await png(1024, 1024)).toString('base64')}`,
                detail: 'high',
              },
            },
          ],
        },
      ],
    });
    const usage = completion.usage;
    expect(usage?.prompt_tokens_details).toEqual({
      cached_tokens: 0,
      audio_tokens: 0,
      image_tokens: 765,
      text_tokens: encode('x').length + FRAMING,
    });
    expect(usage?.prompt_tokens).toBe(765 + encode('x').length + FRAMING);
    expect(usage?.completion_tokens_details).toMatchObject({
      reasoning_tokens: 0,
      audio_tokens: 0,
      text_tokens: usage?.completion_tokens,
    });
  });

  it('reports the prefix two different long prompts share as cached, as OpenAI prompt caching does', async () => {
    const policy = 'Policy: describe only what is visible. '.repeat(150);
    await client.call(text(`${policy} First question?`));
    const second = await client.call(text(`${policy} Another, longer question about the picture?`));
    expect(second.usage.cachedPromptTokens).toBeGreaterThanOrEqual(1024);
    expect((second.usage.cachedPromptTokens - 1024) % 128).toBe(0);
    expect(second.usage.cachedPromptTokens).toBeLessThan(second.usage.promptTokens);
  });

  it('sends the x-ratelimit-* headers, counting the minute down', async () => {
    const first = await sdk.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const second = await sdk.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const header = (r: typeof first, name: string) => r.response.headers.get(name);
    expect(header(first, 'x-ratelimit-limit-requests')).toBe('10000');
    expect(header(first, 'x-ratelimit-limit-tokens')).toBe('800000');
    expect(Number(header(second, 'x-ratelimit-remaining-requests'))).toBe(
      Number(header(first, 'x-ratelimit-remaining-requests')) - 1,
    );
    expect(Number(header(second, 'x-ratelimit-remaining-tokens'))).toBe(
      Number(header(first, 'x-ratelimit-remaining-tokens')) - (second.data.usage?.total_tokens ?? 0),
    );
    expect(header(second, 'x-ratelimit-reset-requests')).toMatch(/^(\d+ms|\d+(\.\d+)?s|1m0s)$/);
    expect(header(second, 'x-ratelimit-reset-tokens')).toMatch(/^(\d+ms|\d+(\.\d+)?s|1m0s)$/);
  });

  it('answers 429 rate_limit_exceeded, with retry-after, once the requests of the minute are used up', async () => {
    const limited = await startOpenAiSimulator({ rateLimits: { requestsPerMinute: 2 } });
    try {
      const own = createOpenAiModelClient({
        apiKey: 'sk-simulated',
        baseURL: limited.baseUrl,
        timeoutMs: 5_000,
      });
      await own.call(text('x'));
      await own.call(text('x'));
      await expect(own.call(text('x'))).rejects.toMatchObject({
        kind: 'retryable',
        details: { status: 429, retryAfterMs: expect.any(Number) },
      });
    } finally {
      await limited.close();
    }
  });
});
