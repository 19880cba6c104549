/**
 * Pre-flight token estimate for one call, before anything is sent: the cost step reserves budget from it
 * and the router compares routes with it. It must never fall short of the bill, so where OpenAI decides
 * at run time (`detail: 'auto'`, unknown image size) it assumes the dearer case.
 */
import { encode } from 'gpt-tokenizer/model/gpt-4o';
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

export function estimateTokens(args: {
  model: string;
  instructions: string;
  image?: { width: number; height: number; detail: ImageDetail };
  audioSeconds?: number;
  maxOutputTokens: number;
}): TokenEstimate {
  return {
    textTokens: encode(args.instructions).length + CHAT_FRAMING_TOKENS,
    imageTokens: args.image ? imageTokens({ ...args.image, model: args.model }) : 0,
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
