/**
 * ModelClient over the `openai` SDK. One attempt per `call`: the SDK's own retries are off
 * (`maxRetries: 0`) so the caller's policy sees, times and logs every attempt. Works against OpenAI,
 * any OpenAI-compatible base URL (Azure OpenAI's v1 API, the local simulator) with no code change.
 */
import OpenAI, { APIConnectionError, APIError, toFile } from 'openai';
import type { ChatCompletion, ChatCompletionContentPart } from 'openai/resources/chat/completions';
import {
  ModelCallError,
  type ModelCallRequest,
  type ModelCallResult,
  type ModelClient,
  type ModelUsage,
  type ObservedRateLimits,
} from '../ports.js';

export interface OpenAiModelClientOptions {
  apiKey: string;
  /** @default OpenAI's public endpoint */
  baseURL?: string;
  /** Per attempt; keep it well under the Lambda timeout so our policy still has time to retry or park. */
  timeoutMs: number;
  defaultHeaders?: Record<string, string>;
}

/** Models served by `/v1/audio/transcriptions` rather than Chat Completions. */
export function isTranscriptionModel(model: string): boolean {
  return model.includes('transcribe') || model.startsWith('whisper');
}

/** `retry-after-ms` (OpenAI's, fractional ms) wins over `retry-after` (seconds or an HTTP date). */
export function parseRetryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = headers?.get('retry-after');
  if (!after) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** OpenAI writes reset times as Go durations: `20ms`, `1.5s`, `59.02s`, `1m0s`, `6m0s`, `1h2m3s`. */
export function parseResetDurationMs(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined;
  const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  return Math.ceil(parts.reduce((sum, [, n, unit]) => sum + Number(n) * (unitMs[unit ?? ''] ?? 0), 0));
}

/** The organisation's limits as the provider reported them on this answer (`x-ratelimit-*`), if it did. */
export function parseRateLimitHeaders(
  headers: { get(name: string): string | null } | undefined,
): ObservedRateLimits | undefined {
  const count = (name: string) => {
    const value = Number(headers?.get(name) ?? Number.NaN);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  const observed: Record<string, number | undefined> = {
    limitRequests: count('x-ratelimit-limit-requests'),
    remainingRequests: count('x-ratelimit-remaining-requests'),
    resetRequestsMs: parseResetDurationMs(headers?.get('x-ratelimit-reset-requests')),
    limitTokens: count('x-ratelimit-limit-tokens'),
    remainingTokens: count('x-ratelimit-remaining-tokens'),
    resetTokensMs: parseResetDurationMs(headers?.get('x-ratelimit-reset-tokens')),
  };
  const present = Object.entries(observed).filter(
    (entry): entry is [string, number] => entry[1] !== undefined,
  );
  return present.length > 0 ? (Object.fromEntries(present) as ObservedRateLimits) : undefined;
}

/** Maps anything the SDK throws onto what it means for our retry policy; the message never echoes content. */
export function toModelCallError(error: unknown, requestId: string | null = null): ModelCallError {
  if (error instanceof ModelCallError) return error;
  // Includes APIConnectionTimeoutError and resets: the request may or may not have reached the model.
  if (error instanceof APIConnectionError) {
    return new ModelCallError('retryable', `connection failed: ${error.constructor.name}`, {
      requestId,
      outcomeUnknown: true,
    });
  }
  if (error instanceof APIError) {
    const status = error.status;
    const id = error.requestID ?? requestId;
    const label = `OpenAI ${status ?? 'error'} ${error.code ?? error.type ?? ''}`.trim();
    const rateLimits = parseRateLimitHeaders(error.headers);
    const details = {
      ...(status !== undefined ? { status } : {}),
      requestId: id,
      ...(rateLimits ? { rateLimits } : {}),
    };
    if (status === 429 && (error.code === 'insufficient_quota' || error.type === 'insufficient_quota')) {
      return new ModelCallError('quota', label, details);
    }
    if (error.code === 'content_policy_violation' || error.code === 'content_filter') {
      return new ModelCallError('refused', label, details);
    }
    if (status === 401 || status === 403) return new ModelCallError('auth', label, details);
    if (status === 408 || status === 409 || status === 429 || (status !== undefined && status >= 500)) {
      const retryAfterMs = parseRetryAfterMs(error.headers);
      return new ModelCallError('retryable', label, {
        ...details,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    return new ModelCallError('invalid', label, details);
  }
  // A 200 whose body is not JSON (a proxy's HTML page, a truncated body): the next attempt may be fine.
  // The model did the work (a 200), so it is billed; what it cost is unknown.
  if (error instanceof SyntaxError)
    return new ModelCallError('retryable', 'response body was not valid JSON', {
      requestId,
      outcomeUnknown: true,
    });
  throw error;
}

function usageOf(completion: ChatCompletion): ModelUsage {
  const usage = completion.usage;
  return {
    promptTokens: usage?.prompt_tokens ?? 0,
    cachedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    audioPromptTokens: usage?.prompt_tokens_details?.audio_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    audioCompletionTokens: usage?.completion_tokens_details?.audio_tokens ?? 0,
  };
}

function contentParts(request: ModelCallRequest): ChatCompletionContentPart[] {
  const parts: ChatCompletionContentPart[] = [{ type: 'text', text: request.instructions }];
  const media = request.media;
  if (media?.kind === 'image') {
    for (const page of [media, ...(media.morePages ?? [])]) {
      const url = `data:${page.mime};base64,${page.bytes.toString('base64')}`;
      parts.push({ type: 'image_url', image_url: { url, detail: media.detail } });
    }
  } else if (media?.kind === 'audio') {
    parts.push({
      type: 'input_audio',
      input_audio: { data: media.bytes.toString('base64'), format: media.format },
    });
  }
  return parts;
}

export function createOpenAiModelClient(options: OpenAiModelClientOptions): ModelClient {
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: 0,
    timeout: options.timeoutMs,
    ...(options.defaultHeaders ? { defaultHeaders: options.defaultHeaders } : {}),
  });

  async function chat(request: ModelCallRequest): Promise<ModelCallResult> {
    const pending = client.chat.completions.create({
      model: request.model,
      messages: [{ role: 'user', content: contentParts(request) }],
      max_completion_tokens: request.maxOutputTokens,
      ...(request.responseSchema
        ? {
            response_format: {
              type: 'json_schema' as const,
              json_schema: {
                name: request.responseSchema.name,
                schema: request.responseSchema.schema,
                strict: true,
              },
            },
          }
        : {}),
    });
    // Headers first, body second: a 200 with a broken body still tells us its request id.
    let requestId: string | null = null;
    let rateLimits: ObservedRateLimits | undefined;
    let completion: ChatCompletion;
    try {
      const { headers } = await pending.asResponse();
      requestId = headers.get('x-request-id');
      rateLimits = parseRateLimitHeaders(headers);
      completion = await pending;
    } catch (error) {
      throw toModelCallError(error, requestId);
    }
    const choice = completion.choices?.[0];
    if (!choice) throw new ModelCallError('retryable', 'response had no choices', { requestId });
    // A refusal is still a completion OpenAI bills: its usage goes with the error to the ledger.
    const usageMissing = completion.usage == null;
    const billed = {
      model: completion.model,
      usage: usageOf(completion),
      ...(usageMissing ? { usageMissing } : {}),
    };
    if (choice.message.refusal)
      throw new ModelCallError('refused', 'the model refused the request', { requestId, billed });
    if (choice.finish_reason === 'content_filter') {
      throw new ModelCallError('refused', 'the answer was stopped by the content filter', {
        requestId,
        billed,
      });
    }
    return {
      text: choice.message.content ?? '',
      model: completion.model,
      requestId,
      ...(rateLimits ? { rateLimits } : {}),
      usage: usageOf(completion),
      ...(usageMissing ? { usageMissing } : {}),
    };
  }

  async function transcribe(request: ModelCallRequest): Promise<ModelCallResult> {
    const media = request.media;
    if (media?.kind !== 'audio') {
      throw new ModelCallError('invalid', `${request.model} needs audio input`);
    }
    const file = await toFile(media.bytes, `audio.${media.format}`, {
      type: media.format === 'mp3' ? 'audio/mpeg' : 'audio/wav',
    });
    let requestId: string | null = null;
    try {
      const { data, request_id, response } = await client.audio.transcriptions
        .create({ file, model: request.model, response_format: 'json' })
        .withResponse();
      requestId = request_id;
      const rateLimits = parseRateLimitHeaders(response.headers);
      const usage = data.usage;
      const tokens = usage?.type === 'tokens' ? usage : undefined;
      return {
        ...(rateLimits ? { rateLimits } : {}),
        text: data.text,
        model: request.model,
        requestId,
        usage: {
          promptTokens: tokens?.input_tokens ?? 0,
          cachedPromptTokens: 0,
          audioPromptTokens: tokens?.input_token_details?.audio_tokens ?? 0,
          completionTokens: tokens?.output_tokens ?? 0,
          audioCompletionTokens: 0,
        },
        ...(usage === undefined ? { usageMissing: true } : {}),
      };
    } catch (error) {
      throw toModelCallError(error, requestId);
    }
  }

  return {
    call: (request) => (isTranscriptionModel(request.model) ? transcribe(request) : chat(request)),
  };
}
