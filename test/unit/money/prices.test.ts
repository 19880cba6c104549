import { describe, expect, it } from 'vitest';
import { allRoutes } from '../../../functions/model/routes.js';
import priceTable from '../../../functions/money/price-table.json' with { type: 'json' };
import {
  billableUnits,
  estimateMicroUsd,
  PRICE_TABLE_VERSION,
  priceModelUsage,
  priceUnits,
  UnpricedModelError,
} from '../../../functions/money/prices.js';
import type { ModelUsage } from '../../../functions/ports.js';

function usage(partial: Partial<ModelUsage>): ModelUsage {
  return {
    promptTokens: 0,
    cachedPromptTokens: 0,
    audioPromptTokens: 0,
    completionTokens: 0,
    audioCompletionTokens: 0,
    ...partial,
  };
}

describe('priceModelUsage', () => {
  it('bills cached prompt tokens once, at the cached rate, not again as input', () => {
    // Prepare: gpt-4o $2.50 in, $1.25 cached, $10 out per 1M → 2.5 / 1.25 / 10 µUSD per token.
    const billed = usage({ promptTokens: 1000, cachedPromptTokens: 400, completionTokens: 200 });

    // Act
    const priced = priceModelUsage({ model: 'gpt-4o', usage: billed });

    // Assess: 600 × 2.5 + 400 × 1.25 + 200 × 10 = 1500 + 500 + 2000
    expect(priced.costMicroUsd).toBe(4000);
    expect(priced.tokens).toEqual({
      textIn: 600,
      cachedIn: 400,
      imageIn: 0,
      audioIn: 0,
      textOut: 200,
      audioOut: 0,
    });
    expect(priced.priceTableVersion).toBe(PRICE_TABLE_VERSION);
  });

  it('bills image tokens as text input and only splits them out for reporting', () => {
    // Prepare: a 1024×1024 high-detail image is 765 tokens of the 1000 prompt tokens.
    const billed = usage({ promptTokens: 1000, completionTokens: 100 });

    // Act
    const priced = priceModelUsage({ model: 'gpt-4o', usage: billed, imageTokens: 765 });

    // Assess: 1000 × 2.5 + 100 × 10 = 3500, the same as without the split.
    expect(priced.costMicroUsd).toBe(3500);
    expect(priced.costMicroUsd).toBe(priceModelUsage({ model: 'gpt-4o', usage: billed }).costMicroUsd);
    expect(priced.tokens).toMatchObject({ textIn: 235, imageIn: 765, cachedIn: 0 });
  });

  it('never reports more image tokens than were billed as uncached input', () => {
    // Prepare: most of the prompt (including the image) came from the cache.
    const billed = usage({ promptTokens: 1000, cachedPromptTokens: 900, completionTokens: 10 });

    // Act
    const priced = priceModelUsage({ model: 'gpt-4o', usage: billed, imageTokens: 765 });

    // Assess: 100 × 2.5 + 900 × 1.25 + 10 × 10 = 250 + 1125 + 100
    expect(priced.tokens).toMatchObject({ textIn: 0, imageIn: 100, cachedIn: 900 });
    expect(priced.costMicroUsd).toBe(1475);
  });

  it('prices gpt-4o-mini fractions exactly and rounds the total up once', () => {
    // Prepare: $0.15 in, $0.075 cached, $0.60 out per 1M.
    const small = usage({ promptTokens: 7, completionTokens: 3 });
    const cached = usage({ promptTokens: 1000, cachedPromptTokens: 500 });

    // Act
    const a = priceModelUsage({ model: 'gpt-4o-mini', usage: small }).costMicroUsd;
    const b = priceModelUsage({ model: 'gpt-4o-mini-2024-07-18', usage: cached }).costMicroUsd;

    // Assess: 7 × 0.15 + 3 × 0.6 = 2.85 → 3; 500 × 0.15 + 500 × 0.075 = 112.5 → 113
    expect(a).toBe(3);
    expect(b).toBe(113);
  });

  it('bills audio input and output tokens at the audio rates of an audio-capable model', () => {
    // Prepare: gpt-4o-audio-preview: text $2.50/$10, audio $40/$80 per 1M.
    const billed = usage({
      promptTokens: 1200,
      audioPromptTokens: 1000,
      completionTokens: 500,
      audioCompletionTokens: 400,
    });

    // Act
    const priced = priceModelUsage({ model: 'gpt-4o-audio-preview-2024-12-17', usage: billed });

    // Assess: 200 × 2.5 + 1000 × 40 + 100 × 10 + 400 × 80 = 500 + 40000 + 1000 + 32000
    expect(priced.costMicroUsd).toBe(73_500);
    expect(priced.tokens).toEqual({
      textIn: 200,
      cachedIn: 0,
      imageIn: 0,
      audioIn: 1000,
      textOut: 100,
      audioOut: 400,
    });
  });

  it('uses a snapshot that is priced differently from its family', () => {
    // Prepare
    const audio = usage({ promptTokens: 1000, audioPromptTokens: 1000 });
    const text = usage({ promptTokens: 1000, completionTokens: 1000 });

    // Act
    const oldAudio = priceModelUsage({ model: 'gpt-4o-audio-preview-2024-10-01', usage: audio }).costMicroUsd;
    const oldText = priceModelUsage({ model: 'gpt-4o-2024-05-13', usage: text }).costMicroUsd;
    const currentText = priceModelUsage({ model: 'gpt-4o-2024-08-06', usage: text }).costMicroUsd;

    // Assess: $100 / 1M audio in; $5 + $15; $2.50 + $10
    expect(oldAudio).toBe(100_000);
    expect(oldText).toBe(20_000);
    expect(currentText).toBe(12_500);
  });

  it('prices gpt-4o-transcribe audio, prompt and transcript tokens', () => {
    // Prepare: $2.50 text in, $6 audio in, $10 text out per 1M.
    const billed = usage({ promptTokens: 1500, audioPromptTokens: 1450, completionTokens: 120 });

    // Act
    const priced = priceModelUsage({ model: 'gpt-4o-transcribe', usage: billed });

    // Assess: 50 × 2.5 + 1450 × 6 + 120 × 10 = 125 + 8700 + 1200
    expect(priced.costMicroUsd).toBe(10_025);
  });

  it.each(['gpt-4o-realtime-preview', 'gpt-5', 'chatgpt-4o-latest', 'gpt-4o-mini-2024-07-18-ft', ''])(
    'fails loudly with UNPRICED_MODEL for %j instead of billing $0',
    (model) => {
      // Prepare
      const billed = usage({ promptTokens: 10, completionTokens: 10 });

      // Act
      const act = () => priceModelUsage({ model, usage: billed });

      // Assess
      expect(act).toThrow(UnpricedModelError);
      try {
        act();
      } catch (error) {
        expect(error).toMatchObject({ code: 'UNPRICED_MODEL', name: 'UNPRICED_MODEL' });
      }
    },
  );

  it('refuses audio tokens on a model that has no audio price', () => {
    // Prepare
    const billed = usage({ promptTokens: 100, audioPromptTokens: 50 });

    // Act
    const act = () => priceModelUsage({ model: 'gpt-4o', usage: billed });

    // Assess
    expect(act).toThrow(UnpricedModelError);
  });

  it('rejects usage whose subsets exceed the total', () => {
    // Prepare
    const billed = usage({ promptTokens: 100, cachedPromptTokens: 80, audioPromptTokens: 30 });

    // Act
    const act = () => priceModelUsage({ model: 'gpt-4o-audio-preview', usage: billed });

    // Assess
    expect(act).toThrow(RangeError);
  });
});

describe('estimateMicroUsd', () => {
  it('assumes no cache discount and prices audio input on top of text input', () => {
    // Prepare / Act
    const text = estimateMicroUsd({ model: 'gpt-4o', inputTokens: 1000, outputTokens: 500 });
    const audio = estimateMicroUsd({
      model: 'gpt-4o-audio-preview',
      inputTokens: 100,
      audioInputTokens: 1000,
      outputTokens: 100,
    });

    // Assess: 1000 × 2.5 + 500 × 10; 100 × 2.5 + 1000 × 40 + 100 × 10
    expect(text).toBe(7500);
    expect(audio).toBe(41_250);
  });

  it('is never below the priced bill for the same token counts', () => {
    // Prepare
    const estimate = estimateMicroUsd({ model: 'gpt-4o-mini', inputTokens: 1234, outputTokens: 77 });

    // Act
    const billed = priceModelUsage({
      model: 'gpt-4o-mini',
      usage: usage({ promptTokens: 1234, cachedPromptTokens: 1024, completionTokens: 77 }),
    });

    // Assess
    expect(estimate).toBeGreaterThanOrEqual(billed.costMicroUsd);
  });

  it('fails for an unpriced model', () => {
    // Act / Assess
    expect(() => estimateMicroUsd({ model: 'o3', inputTokens: 1, outputTokens: 1 })).toThrow(
      UnpricedModelError,
    );
  });
});

describe('priceUnits', () => {
  it('bills Comprehend in 100-character units with a 3-unit minimum', () => {
    // Act / Assess: $0.0001 per unit = 100 µUSD
    expect(billableUnits('comprehend', 50)).toBe(3);
    expect(priceUnits('comprehend', 50)).toBe(300);
    expect(priceUnits('comprehend', 300)).toBe(300);
    expect(priceUnits('comprehend', 1001)).toBe(1100);
    expect(priceUnits('comprehend', 0)).toBe(0);
  });

  it('bills Textract per page', () => {
    // Act / Assess: $1.50 per 1000 pages = 1500 µUSD a page
    expect(priceUnits('textract_page', 1)).toBe(1500);
    expect(priceUnits('textract_page', 2)).toBe(3000);
  });

  it('bills Transcribe per started second with a 15-second minimum', () => {
    // Act / Assess: $0.024 per minute = 400 µUSD a second
    expect(priceUnits('transcribe_second', 7.2)).toBe(6000);
    expect(priceUnits('transcribe_second', 61.1)).toBe(24_800);
  });

  it('rejects an unknown unit and a negative quantity', () => {
    // Act / Assess
    expect(() => priceUnits('rekognition' as never, 1)).toThrow(UnpricedModelError);
    expect(() => priceUnits('textract_page', -1)).toThrow(RangeError);
  });
});

describe('price table', () => {
  it('keeps a version, an effective date and a source for every number', () => {
    // Prepare
    const numbers: { path: string; entry: Record<string, unknown> }[] = [];
    for (const [model, buckets] of Object.entries(priceTable.models)) {
      for (const [bucket, entry] of Object.entries(buckets)) {
        if (entry) numbers.push({ path: `${model}.${bucket}`, entry });
      }
    }
    for (const [unit, entry] of Object.entries(priceTable.aws)) numbers.push({ path: unit, entry });

    // Act
    const unsourced = numbers.filter(
      ({ entry }) => typeof entry.source !== 'string' || entry.source.length < 20,
    );

    // Assess
    expect(priceTable.version).toBe(PRICE_TABLE_VERSION);
    expect(priceTable.effectiveDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(numbers.length).toBeGreaterThan(20);
    expect(unsourced).toEqual([]);
    for (const required of ['gpt-4o', 'gpt-4o-mini', 'gpt-4o-audio-preview', 'gpt-4o-transcribe']) {
      expect(priceTable.models).toHaveProperty([required]);
    }
  });

  it('prices every model a route can call, audio included where the route takes audio', () => {
    // A route to an unpriced model would fail with UNPRICED_MODEL only after a billed call; catch it here.
    for (const route of allRoutes()) {
      const audio = route.modalities.includes('audio') ? 10 : 0;
      expect(() =>
        estimateMicroUsd({ model: route.model, inputTokens: 10, audioInputTokens: audio, outputTokens: 10 }),
      ).not.toThrow();
    }
  });
});
