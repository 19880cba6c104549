/**
 * Usage as OpenAI bills a Chat Completions request:
 * - text: o200k tokens of every text part, plus 3 tokens framing each message, the tokens of its role,
 *   and 3 priming the reply (OpenAI cookbook, "counting tokens for chat API calls");
 * - images: tiles by detail per `functions/model/image-tokens.ts`, from the decoded image's own size.
 *   `auto` is resolved the way the API does it in practice: `low` when the image fits in one 512 px tile;
 *   otherwise `high`;
 * - audio: ASSUMED 10 tokens per second of input audio (OpenAI: "1 token per 100 ms" of user audio),
 *   rounded up per clip;
 * - prompt caching: a prompt of ≥ 1024 tokens that the simulator has seen before reports its prefix as
 *   cached, in 128-token steps, as OpenAI's automatic caching does.
 */
import { encode } from 'gpt-tokenizer/model/gpt-4o';
import { imageTokens } from '../../../functions/model/image-tokens.js';
import type { ImageDetail } from '../../../functions/ports.js';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_REPLY_PRIMING = 3;
export const AUDIO_TOKENS_PER_SECOND = 10;
const CACHE_MIN_TOKENS = 1024;
const CACHE_STEP = 128;

export function textTokens(text: string): number {
  return encode(text).length;
}

export function messageFramingTokens(roles: readonly string[]): number {
  return roles.reduce((sum, role) => sum + TOKENS_PER_MESSAGE + textTokens(role), 0) + TOKENS_REPLY_PRIMING;
}

export function resolveDetail(detail: ImageDetail, width: number, height: number): 'low' | 'high' {
  if (detail === 'low' || detail === 'high') return detail;
  return width <= 512 && height <= 512 ? 'low' : 'high';
}

export function billImage(args: { width: number; height: number; detail: ImageDetail; model: string }): {
  tokens: number;
  detail: 'low' | 'high';
} {
  const detail = resolveDetail(args.detail, args.width, args.height);
  return { tokens: imageTokens({ ...args, detail }), detail };
}

export function audioTokens(seconds: number): number {
  return Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND);
}

export function cachedPrefixTokens(promptTokens: number, seenBefore: boolean): number {
  if (!seenBefore || promptTokens < CACHE_MIN_TOKENS) return 0;
  return CACHE_MIN_TOKENS + Math.floor((promptTokens - CACHE_MIN_TOKENS) / CACHE_STEP) * CACHE_STEP;
}
