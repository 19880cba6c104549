/**
 * The project's pre-flight estimator and the simulator are two independent readings of OpenAI's rules.
 * Here they must agree on a spread of images, texts and clips; and the same check must fail when either
 * reading is wrong, or an agreement would prove nothing.
 */
import { describe, expect, it } from 'vitest';
import { AUDIO_TOKENS_PER_SECOND, estimateTokens } from '../../../../functions/model/estimate.js';
import { imageTokens as projectImageTokens } from '../../../../functions/model/image-tokens.js';
import {
  audioTokens,
  messageFramingTokens,
  textTokens,
} from '../../../../infra/local/openai-simulator/billing.js';
import { imageTokensFor as simulatorImageTokens } from '../../../../infra/local/openai-simulator/image-tokens.js';

type ImageRule = (args: { model: string; width: number; height: number; detail: 'low' | 'high' }) => number;

const SIDES = [
  1, 200, 511, 512, 513, 767, 768, 769, 1000, 1023, 1024, 1025, 1536, 2000, 2048, 2049, 3000, 4096, 8192,
];
const MODELS = ['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'];

const CASES = MODELS.flatMap((model) =>
  (['low', 'high'] as const).flatMap((detail) =>
    SIDES.flatMap((width) => SIDES.map((height) => ({ model, width, height, detail }))),
  ),
);

/**
 * OpenAI's steps as real numbers. Where they leave a fraction of a pixel, the published rule does not say
 * how to round: the project rounds to the nearest pixel, the simulator truncates (what OpenAI's usage
 * shows), so there the two may differ by a row of tiles, the project's estimate being the higher.
 */
function resizesToWholePixels(width: number, height: number): boolean {
  const fit = Math.min(1, 2048 / Math.max(width, height));
  const shrink = Math.min(1, 768 / Math.min(width * fit, height * fit));
  const isWhole = (pixels: number) => Math.abs(pixels - Math.round(pixels)) < 1e-6;
  return isWhole(width * fit * shrink) && isWhole(height * fit * shrink);
}

const WHOLE_PIXEL_CASES = CASES.filter((args) => resizesToWholePixels(args.width, args.height));
const FRACTIONAL_CASES = CASES.filter((args) => !resizesToWholePixels(args.width, args.height));

/** Every case of the spread on which the two rules bill differently. */
function disagreements(project: ImageRule, simulator: ImageRule, cases = WHOLE_PIXEL_CASES) {
  return cases
    .filter((args) => project(args) !== simulator(args))
    .map(
      (args) =>
        `${args.model} ${args.width}×${args.height} ${args.detail}: ${project(args)} ≠ ${simulator(args)}`,
    );
}

const project: ImageRule = (args) => projectImageTokens(args);
const simulator: ImageRule = (args) => simulatorImageTokens(args);

const TILE_RATES = { 'gpt-4o': { base: 85, perTile: 170 }, 'gpt-4o-mini': { base: 2833, perTile: 5667 } };
const ratesOf = (model: string) =>
  model.startsWith('gpt-4o-mini') ? TILE_RATES['gpt-4o-mini'] : TILE_RATES['gpt-4o'];

/** A tile rule with its steps as parameters, to build the classic ways of getting it wrong. */
function tileRule(options: {
  fitSquare: number;
  shortSide: number | null;
  lowIsBaseOnly: boolean;
}): ImageRule {
  return ({ model, width, height, detail }) => {
    const rates = ratesOf(model);
    if (detail === 'low' && options.lowIsBaseOnly) return rates.base;
    const fit = Math.min(1, options.fitSquare / Math.max(width, height));
    let w = width * fit;
    let h = height * fit;
    if (options.shortSide !== null) {
      const shrink = Math.min(1, options.shortSide / Math.min(w, h));
      w *= shrink;
      h *= shrink;
    }
    return rates.base + rates.perTile * Math.ceil(Math.floor(w) / 512) * Math.ceil(Math.floor(h) / 512);
  };
}

describe('project estimator and simulator agree, and the check would catch a wrong formula', () => {
  it('bill every image of the spread alike, at low and high detail, on gpt-4o and gpt-4o-mini', () => {
    expect(WHOLE_PIXEL_CASES.length).toBeGreaterThan(CASES.length / 2);
    expect(disagreements(project, simulator)).toEqual([]);
  });

  it('where a resize leaves a fraction of a pixel, the project never estimates below the simulator', () => {
    expect(FRACTIONAL_CASES.length).toBeGreaterThan(0);
    for (const args of FRACTIONAL_CASES) expect(project(args)).toBeGreaterThanOrEqual(simulator(args));
  });

  it('the project never estimates an auto-detail image below what the simulator bills', () => {
    for (const { model, width, height } of CASES) {
      const estimate = projectImageTokens({ model, width, height, detail: 'auto' });
      const billedLow = simulatorImageTokens({ model, width, height, detail: 'low' });
      const billedHigh = simulatorImageTokens({ model, width, height, detail: 'high' });
      expect(estimate).toBeGreaterThanOrEqual(Math.max(billedLow, billedHigh));
    }
  });

  it.each([
    [
      'forgets the 768-px shortest-side step',
      tileRule({ fitSquare: 2048, shortSide: null, lowIsBaseOnly: true }),
    ],
    ['fits into 1024 px, the 2023 rule', tileRule({ fitSquare: 1024, shortSide: 768, lowIsBaseOnly: true })],
    ['bills low detail like high', tileRule({ fitSquare: 2048, shortSide: 768, lowIsBaseOnly: false })],
    [
      'uses gpt-4o rates on gpt-4o-mini',
      (args: Parameters<ImageRule>[0]) => project({ ...args, model: 'gpt-4o' }),
    ],
  ] as const)('catches a project rule that %s', (_mistake, wrongProject) => {
    expect(disagreements(wrongProject, simulator).length).toBeGreaterThan(0);
  });

  it('catches a simulator rule that is wrong, too', () => {
    // Prepare: the simulator's rule with a tile priced at 160 tokens instead of 170 on gpt-4o
    const wrongSimulator: ImageRule = (args) => {
      const tokens = simulator(args);
      if (args.detail === 'low' || args.model.startsWith('gpt-4o-mini')) return tokens;
      return tokens - ((tokens - 85) / 170) * 10;
    };

    // Act, Assess
    expect(disagreements(project, wrongSimulator).length).toBeGreaterThan(0);
  });

  it('the correct reference rule written in this test agrees, so the mistakes above are the only change', () => {
    expect(
      disagreements(tileRule({ fitSquare: 2048, shortSide: 768, lowIsBaseOnly: true }), simulator),
    ).toEqual([]);
  });

  it('count the text of a one-message prompt and its framing alike', async () => {
    for (const instructions of [
      '',
      'Describe the picture.',
      'Résumé: 42 × 7 = 294 — ok? 🙂',
      'x'.repeat(5000),
    ]) {
      const estimate = await estimateTokens({ model: 'gpt-4o', instructions, maxOutputTokens: 100 });
      expect(estimate.textTokens).toBe(messageFramingTokens(['user']) + textTokens(instructions));
    }
  });

  it('count audio alike, at ten tokens a second rounded up per clip', async () => {
    for (const seconds of [0.05, 1, 1.01, 2.5, 59.99, 600]) {
      const estimate = await estimateTokens({
        model: 'gpt-4o-audio-preview',
        instructions: '',
        audioSeconds: seconds,
        maxOutputTokens: 1,
      });
      expect(estimate.audioTokens).toBe(audioTokens(seconds));
    }
    expect(AUDIO_TOKENS_PER_SECOND).toBe(10);
  });
});
