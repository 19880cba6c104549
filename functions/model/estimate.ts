/**
 * Pre-flight token estimate for one call, before anything is sent: the cost step reserves budget from it
 * and the router compares routes with it. It must never fall short of the bill, so where OpenAI decides
 * at run time (`detail: 'auto'`, unknown image size) it assumes the dearer case.
 *
 * Text is counted exactly with the o200k tokenizer. Its tables are large (≈2.7 MB of code, a few hundred
 * ms to parse), so they are imported on the first estimate, not at cold start, and in Lambda they come
 * from the tokenizer layer instead of the function's bundle (docs/model-call.md, "The pre-flight
 * estimate"). A byte count would be a sound upper bound without tables (every o200k token covers at least
 * one UTF-8 byte), but about four times the real count for English: reservations, usage-less charges and
 * exposure would all grow, and routes would be compared with inflated text, so we keep the exact count.
 */
import { estimateMicroUsd } from '../money/prices.js';
import type { ImageDetail, ModelUsage } from '../ports.js';
import { imageTokens } from './image-tokens.js';

export interface TokenEstimate {
  textTokens: number;
  imageTokens: number;
  audioTokens: number;
  maxOutputTokens: number;
}

/** Chat framing OpenAI adds: 3 tokens around each message, its role (`user` = 1 token), 3 priming the reply. */
const CHAT_FRAMING_TOKENS = 3 + 1 + 3;
/** Input audio is billed at about one token per 100 ms (OpenAI); the simulator bills the same rate. */
export const AUDIO_TOKENS_PER_SECOND = 10;
/** Largest tile count gpt-4o bills (a 768×2048 image after its resizing): used when the size is unknown. */
export const WORST_CASE_IMAGE = { width: 2048, height: 768 } as const;

type Encode = (text: string) => number[];
let encoder: Promise<Encode> | undefined;

/** The o200k encoder, imported once per process on first use. */
function o200k(): Promise<Encode> {
  encoder ??= import('gpt-tokenizer/model/gpt-4o').then((tokenizer) => tokenizer.encode);
  return encoder;
}

export async function estimateTokens(args: {
  model: string;
  instructions: string;
  image?: { width: number; height: number; detail: ImageDetail };
  /** Pages 2…n of a document, each billed as an image of its own. */
  moreImages?: readonly { width: number; height: number; detail: ImageDetail }[];
  audioSeconds?: number;
  maxOutputTokens: number;
}): Promise<TokenEstimate> {
  const encode = await o200k();
  return {
    textTokens: encode(args.instructions).length + CHAT_FRAMING_TOKENS,
    imageTokens: [...(args.image ? [args.image] : []), ...(args.moreImages ?? [])].reduce(
      (sum, image) => sum + imageTokens({ ...image, model: args.model }),
      0,
    ),
    audioTokens: args.audioSeconds === undefined ? 0 : Math.ceil(args.audioSeconds * AUDIO_TOKENS_PER_SECOND),
    maxOutputTokens: args.maxOutputTokens,
  };
}

/** What an estimate costs on a model, in micro-USD: input (text + image) and audio tokens, plus the output bound. */
export function priceOfEstimate(model: string, estimate: TokenEstimate): number {
  return estimateMicroUsd({
    model,
    inputTokens: estimate.textTokens + estimate.imageTokens,
    audioInputTokens: estimate.audioTokens,
    outputTokens: estimate.maxOutputTokens,
  });
}

/**
 * The tokens an estimate stands for, as usage: what the ledger records for an answer that came without
 * usage (input as estimated, output at its bound), so the item's tokens and its charge agree.
 */
export function usageOfEstimate(estimate: TokenEstimate): ModelUsage {
  return {
    promptTokens: estimate.textTokens + estimate.imageTokens + estimate.audioTokens,
    cachedPromptTokens: 0,
    audioPromptTokens: estimate.audioTokens,
    completionTokens: estimate.maxOutputTokens,
    audioCompletionTokens: 0,
  };
}
