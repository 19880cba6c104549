import { encode } from 'gpt-tokenizer/model/gpt-4o';
import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../../functions/model/estimate.js';

describe('pre-flight token estimate', () => {
  it('estimates 1024×1024 at high detail as 765 image tokens on gpt-4o (OpenAI worked example)', async () => {
    const estimate = await estimateTokens({
      model: 'gpt-4o',
      instructions: 'Describe.',
      image: { width: 1024, height: 1024, detail: 'high' },
      maxOutputTokens: 100,
    });
    expect(estimate.imageTokens).toBe(765);
  });

  it('estimates 2048×4096 at high detail as 1105 image tokens on gpt-4o (OpenAI worked example)', async () => {
    const estimate = await estimateTokens({
      model: 'gpt-4o-2024-08-06',
      instructions: 'Describe.',
      image: { width: 2048, height: 4096, detail: 'high' },
      maxOutputTokens: 100,
    });
    expect(estimate.imageTokens).toBe(1105);
  });

  it('estimates the same image far dearer in tokens on gpt-4o-mini', async () => {
    const image = { width: 1024, height: 1024, detail: 'high' as const };
    const mini = await estimateTokens({ model: 'gpt-4o-mini', instructions: 'x', image, maxOutputTokens: 1 });
    expect(mini.imageTokens).toBe(2833 + 4 * 5667);
  });

  it('assumes high detail for auto, so a reservation never falls short', async () => {
    const estimate = await estimateTokens({
      model: 'gpt-4o',
      instructions: 'x',
      image: { width: 1024, height: 1024, detail: 'auto' },
      maxOutputTokens: 1,
    });
    expect(estimate.imageTokens).toBe(765);
  });

  it('counts prompt text with the o200k tokenizer plus the chat framing', async () => {
    const instructions = 'Summarise the voice note in two sentences.';
    const estimate = await estimateTokens({ model: 'gpt-4o', instructions, maxOutputTokens: 300 });
    expect(estimate).toEqual({
      textTokens: encode(instructions).length + 7,
      imageTokens: 0,
      audioTokens: 0,
      maxOutputTokens: 300,
    });
  });

  it('bills audio at 10 tokens per second, rounded up', async () => {
    const estimate = await estimateTokens({
      model: 'gpt-4o-audio-preview',
      instructions: 'x',
      audioSeconds: 3.21,
      maxOutputTokens: 1,
    });
    expect(estimate.audioTokens).toBe(33);
  });
});
