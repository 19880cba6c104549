import { describe, expect, it } from 'vitest';
import { billedImageSize, imageTokens } from '../../../functions/model/image-tokens.js';

describe('image tokens', () => {
  it('bills 1024×1024 at high detail as 765 tokens on gpt-4o (OpenAI worked example)', () => {
    expect(imageTokens({ width: 1024, height: 1024, detail: 'high', model: 'gpt-4o' })).toBe(765);
  });

  it('bills 2048×4096 at high detail as 1105 tokens on gpt-4o (OpenAI worked example)', () => {
    expect(billedImageSize(2048, 4096)).toEqual({ width: 768, height: 1536 });
    expect(imageTokens({ width: 2048, height: 4096, detail: 'high', model: 'gpt-4o' })).toBe(1105);
  });

  it('bills low detail at the base rate whatever the size', () => {
    expect(imageTokens({ width: 4000, height: 3000, detail: 'low', model: 'gpt-4o' })).toBe(85);
    expect(imageTokens({ width: 4000, height: 3000, detail: 'low', model: 'gpt-4o-mini' })).toBe(2833);
  });

  it('charges gpt-4o-mini 2833 + 5667 per tile, so dated snapshots map to their family', () => {
    expect(imageTokens({ width: 1024, height: 1024, detail: 'high', model: 'gpt-4o-mini-2024-07-18' })).toBe(
      2833 + 4 * 5667,
    );
  });

  it('keeps at least one pixel of a side the fitting shrinks below half a pixel, so a strip is not estimated at 0 tiles', () => {
    expect(billedImageSize(1, 8192)).toEqual({ width: 1, height: 2048 });
    expect(imageTokens({ width: 1, height: 8192, detail: 'high', model: 'gpt-4o' })).toBe(85 + 4 * 170);
  });

  it('never upscales a small image', () => {
    expect(billedImageSize(300, 200)).toEqual({ width: 300, height: 200 });
    expect(imageTokens({ width: 300, height: 200, detail: 'high', model: 'gpt-4o' })).toBe(255);
  });
});
