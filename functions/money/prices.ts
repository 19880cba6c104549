/**
 * Turns billed usage into integer micro-USD using the versioned price table next to this file.
 *
 * Arithmetic is exact: every rate is converted once to an integer (micro-USD per 1M tokens, or micro-USD
 * per AWS unit), the buckets are summed as integers, and the total for one billable event is rounded
 * **up once** (ceil) to a whole micro-USD. So a ledger item never under-states the provider's bill, and it
 * over-states it by less than one micro-dollar.
 */

import { PermanentStepError } from '../pipeline/reasons.js';
import type { LedgerEntry, ModelUsage } from '../ports.js';
import priceTableJson from './price-table.json' with { type: 'json' };

interface PricedNumber {
  readonly usdPerMillion: number;
  readonly source: string;
}

interface ModelPrice {
  readonly textIn: PricedNumber | null;
  readonly cachedIn: PricedNumber | null;
  readonly audioIn: PricedNumber | null;
  readonly textOut: PricedNumber | null;
  readonly audioOut: PricedNumber | null;
}

interface AwsUnitPrice {
  readonly usdPerUnit: number;
  readonly source: string;
  readonly charsPerUnit?: number;
  readonly minimumUnits?: number;
}

export type AwsUnit = 'comprehend' | 'textract_page' | 'transcribe_second';

interface PriceTable {
  readonly version: string;
  readonly effectiveDate: string;
  readonly models: Readonly<Record<string, ModelPrice>>;
  readonly aws: Readonly<Record<AwsUnit, AwsUnitPrice>>;
}

const TABLE = priceTableJson as PriceTable;

export const PRICE_TABLE_VERSION: string = TABLE.version;
export const PRICE_TABLE_EFFECTIVE_DATE: string = TABLE.effectiveDate;

/** A model (or a bucket of a model) with no price: billing it at $0 would hide spend, so we stop. */
export class UnpricedModelError extends PermanentStepError {
  constructor(message: string) {
    super('UNPRICED_MODEL', message);
  }
}

const MICRO = 1_000_000n;

/** USD amount → integer micro-USD, refusing numbers the table cannot express exactly. */
function toMicro(usd: number, what: string): bigint {
  const scaled = usd * 1_000_000;
  const rounded = Math.round(scaled);
  if (!Number.isFinite(usd) || usd < 0 || Math.abs(scaled - rounded) > 1e-6) {
    throw new Error(
      `price table ${PRICE_TABLE_VERSION}: ${what} (${usd}) is not a whole number of micro-USD`,
    );
  }
  return BigInt(rounded);
}

/** Integer rates: micro-USD per 1M tokens (null = no such bucket). */
interface ModelRates {
  readonly family: string;
  readonly textIn: bigint;
  readonly cachedIn: bigint;
  readonly audioIn: bigint | null;
  readonly textOut: bigint;
  readonly audioOut: bigint | null;
}

const SNAPSHOT = /^(.+)-\d{4}-\d{2}-\d{2}$/;

/**
 * Exact key first (a snapshot priced differently from its family), then the family of a dated snapshot
 * (`gpt-4o-2024-08-06` → `gpt-4o`). No prefix guessing: `gpt-4o-realtime-preview` is not `gpt-4o`.
 */
export function resolveModelRates(model: string): ModelRates {
  let family = model;
  let price = Object.hasOwn(TABLE.models, model) ? TABLE.models[model] : undefined;
  if (!price) {
    const match = SNAPSHOT.exec(model);
    family = match?.[1] ?? model;
    price = Object.hasOwn(TABLE.models, family) ? TABLE.models[family] : undefined;
  }
  if (!price?.textIn || !price.textOut) {
    throw new UnpricedModelError(`model ${model} has no price in price table ${PRICE_TABLE_VERSION}`);
  }
  const textIn = toMicro(price.textIn.usdPerMillion, `${family}.textIn`);
  return {
    family,
    textIn,
    // No cached-input price means no discount: cached tokens cost what other input tokens cost.
    cachedIn: price.cachedIn ? toMicro(price.cachedIn.usdPerMillion, `${family}.cachedIn`) : textIn,
    audioIn: price.audioIn ? toMicro(price.audioIn.usdPerMillion, `${family}.audioIn`) : null,
    textOut: toMicro(price.textOut.usdPerMillion, `${family}.textOut`),
    audioOut: price.audioOut ? toMicro(price.audioOut.usdPerMillion, `${family}.audioOut`) : null,
  };
}

function count(name: string, value: number | undefined): number {
  const n = value ?? 0;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
  return n;
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`cost ${value} µUSD exceeds the safe range`);
  return Number(value);
}

/**
 * Prices one model call from the usage OpenAI reported.
 *
 * OpenAI's `prompt_tokens` already include cached tokens, audio tokens and image tokens, and
 * `completion_tokens` include audio output tokens; the buckets below are therefore disjoint:
 * textIn = prompt − cached − audio − image, imageIn = image tokens (billed at the text-input rate,
 * separated only for reporting), cachedIn, audioIn, textOut = completion − audio out, audioOut.
 */
export function priceModelUsage(args: { model: string; usage: ModelUsage; imageTokens?: number }): {
  costMicroUsd: number;
  priceTableVersion: string;
  tokens: LedgerEntry['tokens'];
} {
  const rates = resolveModelRates(args.model);
  const prompt = count('promptTokens', args.usage.promptTokens);
  const cached = count('cachedPromptTokens', args.usage.cachedPromptTokens);
  const audioIn = count('audioPromptTokens', args.usage.audioPromptTokens);
  const completion = count('completionTokens', args.usage.completionTokens);
  const audioOut = count('audioCompletionTokens', args.usage.audioCompletionTokens);
  const image = count('imageTokens', args.imageTokens);
  if (cached + audioIn > prompt) {
    throw new RangeError(
      `usage is inconsistent: cached (${cached}) + audio (${audioIn}) > prompt (${prompt})`,
    );
  }
  if (audioOut > completion) {
    throw new RangeError(`usage is inconsistent: audio output (${audioOut}) > completion (${completion})`);
  }
  if (audioIn > 0 && rates.audioIn === null) {
    throw new UnpricedModelError(`model ${args.model} has no audio-input price in ${PRICE_TABLE_VERSION}`);
  }
  if (audioOut > 0 && rates.audioOut === null) {
    throw new UnpricedModelError(`model ${args.model} has no audio-output price in ${PRICE_TABLE_VERSION}`);
  }
  const uncachedText = prompt - cached - audioIn;
  // The image estimate can exceed what was billed as uncached text (part of it may have been cached).
  const imageIn = Math.min(image, uncachedText);
  const tokens = {
    textIn: uncachedText - imageIn,
    cachedIn: cached,
    imageIn,
    audioIn,
    textOut: completion - audioOut,
    audioOut,
  };
  const numerator =
    BigInt(tokens.textIn + tokens.imageIn) * rates.textIn +
    BigInt(tokens.cachedIn) * rates.cachedIn +
    BigInt(tokens.audioIn) * (rates.audioIn ?? 0n) +
    BigInt(tokens.textOut) * rates.textOut +
    BigInt(tokens.audioOut) * (rates.audioOut ?? 0n);
  return {
    costMicroUsd: toSafeNumber(ceilDiv(numerator, MICRO)),
    priceTableVersion: PRICE_TABLE_VERSION,
    tokens,
  };
}

/**
 * Pre-flight estimate for a budget reservation. `inputTokens` are the non-audio input tokens (text and
 * image); `audioInputTokens` are counted on top of them. Assumes no cache discount and all output as text,
 * so the estimate errs high. Same rounding as `priceModelUsage`.
 */
export function estimateMicroUsd(args: {
  model: string;
  inputTokens: number;
  audioInputTokens?: number;
  outputTokens: number;
}): number {
  const input = count('inputTokens', args.inputTokens);
  const audio = count('audioInputTokens', args.audioInputTokens);
  return priceModelUsage({
    model: args.model,
    usage: {
      promptTokens: input + audio,
      cachedPromptTokens: 0,
      audioPromptTokens: audio,
      completionTokens: count('outputTokens', args.outputTokens),
      audioCompletionTokens: 0,
    },
  }).costMicroUsd;
}

/**
 * Billed units for one request: `comprehend` takes the characters sent (100-character units, 3-unit
 * minimum); `textract_page` takes pages; `transcribe_second` takes seconds of audio (whole seconds,
 * rounded up, 15-second minimum). A quantity of 0 means no request was made and bills nothing.
 */
export function billableUnits(unit: AwsUnit, quantity: number): number {
  const price = Object.hasOwn(TABLE.aws, unit) ? TABLE.aws[unit] : undefined;
  if (!price) throw new UnpricedModelError(`AWS unit ${unit} has no price in ${PRICE_TABLE_VERSION}`);
  if (!Number.isFinite(quantity) || quantity < 0)
    throw new RangeError(`${unit} quantity must be ≥ 0, got ${quantity}`);
  if (quantity === 0) return 0;
  const units = Math.ceil(quantity / (price.charsPerUnit ?? 1));
  return Math.max(units, price.minimumUnits ?? 1);
}

/** Integer micro-USD for one AWS request of `quantity` (see `billableUnits` for what quantity means). */
export function priceUnits(unit: AwsUnit, quantity: number): number {
  const units = billableUnits(unit, quantity);
  // billableUnits has already checked that the unit exists.
  const price = TABLE.aws[unit];
  return toSafeNumber(BigInt(units) * toMicro(price.usdPerUnit, `aws.${unit}`));
}
