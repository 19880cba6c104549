/**
 * GPT-4o family image-token arithmetic, as OpenAI documents it: fit inside 2048×2048, then scale so the
 * shortest side is at most 768 px, then count 512-px tiles. Used by Preprocess (to pick dimensions that
 * buy no useless tile), by the pre-flight estimate and by the local simulator's billing.
 */
import type { ImageDetail } from '../ports.js';

export interface ImageTokenRates {
  readonly base: number;
  readonly perTile: number;
}

const RATES: Readonly<Record<string, ImageTokenRates>> = {
  'gpt-4o': { base: 85, perTile: 170 },
  // gpt-4o-mini bills images at a far higher token count (its tokens are cheaper): an image costs
  // about twice as much there, which is why fallback to it is never assumed to be cheaper.
  'gpt-4o-mini': { base: 2833, perTile: 5667 },
};

/** Rates for a model id; dated snapshots (gpt-4o-2024-08-06, gpt-4o-mini-2024-07-18) map to their family. */
export function imageTokenRates(model: string): ImageTokenRates {
  const family = model.startsWith('gpt-4o-mini') ? 'gpt-4o-mini' : 'gpt-4o';
  const rates = RATES[family];
  if (!rates) throw new Error(`no image-token rates for ${model}`);
  return rates;
}

/** The size OpenAI tiles after its own downscaling (never upscales). */
export function billedImageSize(width: number, height: number): { width: number; height: number } {
  let w = width;
  let h = height;
  if (w > 2048 || h > 2048) {
    const fit = 2048 / Math.max(w, h);
    w *= fit;
    h *= fit;
  }
  if (Math.min(w, h) > 768) {
    const shrink = 768 / Math.min(w, h);
    w *= shrink;
    h *= shrink;
  }
  // A side scaled below half a pixel still leaves one pixel to tile (a 1×8192 strip is 4 tiles, not 0).
  return { width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) };
}

export function imageTiles(width: number, height: number): number {
  const billed = billedImageSize(width, height);
  return Math.ceil(billed.width / 512) * Math.ceil(billed.height / 512);
}

export function imageTokens(args: {
  width: number;
  height: number;
  detail: ImageDetail;
  model: string;
}): number {
  const rates = imageTokenRates(args.model);
  // `auto` lets the model choose; we estimate the dearer `high` so a budget reservation never falls short.
  if (args.detail === 'low') return rates.base;
  return rates.base + rates.perTile * imageTiles(args.width, args.height);
}
