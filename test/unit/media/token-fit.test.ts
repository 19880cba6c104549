import { describe, expect, it } from 'vitest';
import { fitForTokens } from '../../../functions/media/token-fit.js';
import { imageTokens } from '../../../functions/model/image-tokens.js';

const HIGH = { maxLongSide: 1024, detail: 'high', model: 'gpt-4o' } as const;

describe('fitForTokens', () => {
  it('shrinks 1024×520 to 1009×512 so a second row of tiles is not bought for an 8-px strip', () => {
    // Act
    const fit = fitForTokens(1024, 520, HIGH);
    // Assess
    expect([fit.width, fit.height]).toEqual([1009, 512]);
    expect(fit.tokensBefore).toBe(85 + 170 * 4);
    expect(fit.tokensAfter).toBe(85 + 170 * 2);
  });

  it('downscales a 4000×3000 photo to 1024×768 and reports what OpenAI would bill before and after', () => {
    // Act
    const fit = fitForTokens(4000, 3000, HIGH);
    // Assess
    expect([fit.width, fit.height]).toEqual([1024, 768]);
    expect(fit.tokensBefore).toBe(765);
    expect(fit.tokensAfter).toBe(765);
  });

  it('reports the saving when the original would be billed for more tiles than the output', () => {
    // Act: 3000×2000 is billed as 1152×768 (3×2 tiles); 1024×683 is 2×2.
    const fit = fitForTokens(3000, 2000, HIGH);
    // Assess
    expect([fit.width, fit.height]).toEqual([1024, 683]);
    expect(fit.tokensBefore).toBe(85 + 170 * 6);
    expect(fit.tokensAfter).toBe(85 + 170 * 4);
  });

  it('never upscales a small image', () => {
    // Act
    const fit = fitForTokens(300, 200, HIGH);
    // Assess
    expect([fit.width, fit.height]).toEqual([300, 200]);
  });

  it('does not give up more than 15% of the long side to save a tile', () => {
    // Act: dropping to one tile column would need 512 px, half the width.
    const fit = fitForTokens(3000, 600, HIGH);
    // Assess
    expect(fit.width).toBe(1024);
    expect(fit.tokensAfter).toBe(imageTokens({ width: 1024, height: 205, detail: 'high', model: 'gpt-4o' }));
  });

  it('caps low detail at 512 px because the model looks at 512×512 whatever we send', () => {
    // Act
    const fit = fitForTokens(4000, 3000, { ...HIGH, detail: 'low' });
    // Assess
    expect([fit.width, fit.height]).toEqual([512, 384]);
    expect(fit.tokensBefore).toBe(85);
    expect(fit.tokensAfter).toBe(85);
  });

  it('uses the rates of the model it is given (gpt-4o-mini bills far more tokens per tile)', () => {
    // Act
    const fit = fitForTokens(1024, 520, { ...HIGH, model: 'gpt-4o-mini-2024-07-18' });
    // Assess
    expect(fit.tokensBefore).toBe(2833 + 5667 * 4);
    expect(fit.tokensAfter).toBe(2833 + 5667 * 2);
  });

  it('never produces an output that costs more tokens than the plain downscale', () => {
    for (const [w, h] of [
      [5000, 100],
      [1025, 1024],
      [1800, 1000],
      [640, 2000],
      [1024, 520],
      [3000, 600],
      [1, 1],
    ] as const) {
      // Prepare: the plain downscale, long side to 1024 (never up), aspect kept
      const factor = Math.min(1024, Math.max(w, h)) / Math.max(w, h);
      const plain = {
        width: Math.max(1, Math.round(w * factor)),
        height: Math.max(1, Math.round(h * factor)),
      };
      const plainTokens = imageTokens({ ...plain, detail: 'high', model: 'gpt-4o' });
      // Act
      const fit = fitForTokens(w, h, HIGH);
      // Assess
      expect(Math.max(fit.width, fit.height)).toBeLessThanOrEqual(Math.max(plain.width, plain.height));
      expect(fit.tokensAfter, `${w}×${h}`).toBeLessThanOrEqual(plainTokens);
    }
  });
});
