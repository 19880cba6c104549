/**
 * Output dimensions that buy no useless tile. GPT-4o bills an image by 512-px tiles of its own rescaled
 * copy (see model/image-tokens.ts); an image whose rescaled side is 520 px pays a whole extra row of
 * tiles for an 8-px strip. We shrink a little (never more than `maxShrink` of the long side) when that
 * removes tiles, and never upscale.
 */

import { imageTokens } from '../model/image-tokens.js';
import type { ImageDetail } from '../ports.js';

export interface TokenFitOptions {
  readonly maxLongSide: number;
  readonly detail: ImageDetail;
  readonly model: string;
  /**
   * The largest fraction of the long side we give up to save tiles. 15% keeps text legible (a 1024-px
   * document becomes ≥ 870 px) while catching every "tile bought for a sliver" case.
   * @default 0.15
   */
  readonly maxShrink?: number;
}

export interface TokenFit {
  readonly width: number;
  readonly height: number;
  readonly tokensBefore: number;
  readonly tokensAfter: number;
}

/** Low detail: the model looks at a 512×512 version whatever we send, so more pixels only cost bytes. */
const LOW_DETAIL_LONG_SIDE = 512;

function scaled(width: number, height: number, longSide: number): { width: number; height: number } {
  const factor = longSide / Math.max(width, height);
  return {
    width: Math.max(1, Math.round(width * factor)),
    height: Math.max(1, Math.round(height * factor)),
  };
}

export function fitForTokens(width: number, height: number, options: TokenFitOptions): TokenFit {
  const { detail, model } = options;
  const tokensBefore = imageTokens({ width, height, detail, model });
  const cap = detail === 'low' ? Math.min(options.maxLongSide, LOW_DETAIL_LONG_SIDE) : options.maxLongSide;
  const startLong = Math.min(Math.max(width, height), cap);
  const start = scaled(width, height, startLong);
  let best = { ...start, tokens: imageTokens({ ...start, detail, model }) };
  const floor = Math.ceil(startLong * (1 - (options.maxShrink ?? 0.15)));
  // Walk the long side down pixel by pixel: ≤ 160 steps of integer arithmetic, and exact by construction.
  for (let longSide = startLong - 1; longSide >= floor && longSide >= 1; longSide--) {
    const candidate = scaled(width, height, longSide);
    const tokens = imageTokens({ ...candidate, detail, model });
    if (tokens < best.tokens) best = { ...candidate, tokens };
  }
  return { width: best.width, height: best.height, tokensBefore, tokensAfter: best.tokens };
}
