/**
 * The simulator's image tokens against the worked examples in OpenAI's vision guide ("Calculating
 * costs"), not against the project's estimator: these numbers are the ground truth both must meet.
 */
import { describe, expect, it } from 'vitest';
import {
  imageTokensFor,
  patchesAfterDownscaling,
  resolveDetail,
  tilesAfterDownscaling,
} from '../../../../infra/local/openai-simulator/image-tokens.js';

describe('simulator image tokens, OpenAI tile rule (gpt-4o, gpt-4o-mini)', () => {
  it('bills a 1024×1024 high-detail image at 765 tokens on gpt-4o (768×768 after resizing, 4 tiles)', () => {
    expect(tilesAfterDownscaling(1024, 1024)).toBe(4);
    expect(imageTokensFor({ model: 'gpt-4o', width: 1024, height: 1024, detail: 'high' })).toBe(765);
  });

  it('bills a 2048×4096 high-detail image at 1105 tokens on gpt-4o (768×1536 after resizing, 6 tiles)', () => {
    expect(tilesAfterDownscaling(2048, 4096)).toBe(6);
    expect(imageTokensFor({ model: 'gpt-4o', width: 2048, height: 4096, detail: 'high' })).toBe(1105);
  });

  it('bills a 4096×8192 low-detail image at the 85-token base, whatever its size', () => {
    expect(imageTokensFor({ model: 'gpt-4o', width: 4096, height: 8192, detail: 'low' })).toBe(85);
  });

  it('bills gpt-4o-mini at 2833 base + 5667 a tile: 25,501 for 1024×1024 high, 2833 for low', () => {
    expect(imageTokensFor({ model: 'gpt-4o-mini', width: 1024, height: 1024, detail: 'high' })).toBe(25_501);
    expect(imageTokensFor({ model: 'gpt-4o-mini', width: 2048, height: 4096, detail: 'high' })).toBe(
      2833 + 6 * 5667,
    );
    expect(imageTokensFor({ model: 'gpt-4o-mini', width: 4096, height: 8192, detail: 'low' })).toBe(2833);
  });

  it('uses the family rule for a dated snapshot', () => {
    expect(imageTokensFor({ model: 'gpt-4o-2024-08-06', width: 1024, height: 1024, detail: 'high' })).toBe(
      765,
    );
    expect(
      imageTokensFor({ model: 'gpt-4o-mini-2024-07-18', width: 1024, height: 1024, detail: 'high' }),
    ).toBe(25_501);
  });

  it('never enlarges a small image: 300×200 high is one tile', () => {
    expect(imageTokensFor({ model: 'gpt-4o', width: 300, height: 200, detail: 'high' })).toBe(255);
  });

  it('resolves auto to low for an image inside one 512-px tile and to high otherwise', () => {
    expect(resolveDetail('auto', 512, 512)).toBe('low');
    expect(resolveDetail('auto', 513, 100)).toBe('high');
    expect(resolveDetail('low', 4000, 4000)).toBe('low');
  });

  it('has no rule for a model OpenAI publishes none for', () => {
    expect(() => imageTokensFor({ model: 'gpt-3.5-turbo', width: 10, height: 10, detail: 'low' })).toThrow(
      /no image-token rule/,
    );
  });
});

describe('simulator image tokens, OpenAI patch rule (gpt-4.1-mini, gpt-4.1-nano, o4-mini)', () => {
  it('covers a 1024×1024 image with 1024 patches (OpenAI example)', () => {
    expect(patchesAfterDownscaling(1024, 1024)).toBe(1024);
  });

  it('shrinks a 1800×2400 image to 1056×1408, 33 × 44 = 1452 patches (OpenAI example)', () => {
    expect(patchesAfterDownscaling(1800, 2400)).toBe(1452);
  });

  it('never bills more than 1536 patches', () => {
    expect(patchesAfterDownscaling(8000, 8000)).toBeLessThanOrEqual(1536);
    expect(patchesAfterDownscaling(2048, 768)).toBe(1536);
  });

  it('multiplies patches by the model: 1.62 on gpt-4.1-mini, 2.46 on gpt-4.1-nano, 1.72 on o4-mini', () => {
    expect(imageTokensFor({ model: 'gpt-4.1-mini', width: 1024, height: 1024, detail: 'high' })).toBe(1659);
    expect(
      imageTokensFor({ model: 'gpt-4.1-nano-2025-04-14', width: 1024, height: 1024, detail: 'high' }),
    ).toBe(2519);
    expect(imageTokensFor({ model: 'o4-mini', width: 1800, height: 2400, detail: 'high' })).toBe(2497);
  });
});
