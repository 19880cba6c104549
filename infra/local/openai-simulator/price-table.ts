/**
 * The simulator's own prices, in USD per 1M tokens, by snapshot, copied from
 * https://platform.openai.com/docs/pricing (standard tier). Deliberately apart from
 * `functions/money/price-table.json`: the simulator's bill is what the provider would charge, and a
 * reconciliation that read the project's table on both sides could never find a wrong price.
 * `cachedIn: null` means the model has no prompt caching (its prompts are never reported cached).
 */
export interface SimulatorPrice {
  readonly textIn: number;
  readonly cachedIn: number | null;
  readonly textOut: number;
  readonly audioIn?: number;
  readonly audioOut?: number;
  /** Models billed by the minute of audio (whisper-1), in USD per minute. */
  readonly usdPerAudioMinute?: number;
}

export const SIMULATOR_PRICES: Readonly<Record<string, SimulatorPrice>> = {
  'gpt-4o-2024-08-06': { textIn: 2.5, cachedIn: 1.25, textOut: 10 },
  'gpt-4o-2024-11-20': { textIn: 2.5, cachedIn: 1.25, textOut: 10 },
  'gpt-4o-mini-2024-07-18': { textIn: 0.15, cachedIn: 0.075, textOut: 0.6 },
  'gpt-4.1-mini-2025-04-14': { textIn: 0.4, cachedIn: 0.1, textOut: 1.6 },
  'gpt-4.1-nano-2025-04-14': { textIn: 0.1, cachedIn: 0.025, textOut: 0.4 },
  'gpt-4o-audio-preview-2024-12-17': { textIn: 2.5, cachedIn: null, textOut: 10, audioIn: 40, audioOut: 80 },
  'gpt-4o-mini-audio-preview-2024-12-17': {
    textIn: 0.15,
    cachedIn: null,
    textOut: 0.6,
    audioIn: 10,
    audioOut: 20,
  },
  'gpt-4o-transcribe': { textIn: 2.5, cachedIn: null, textOut: 10, audioIn: 6 },
  'gpt-4o-mini-transcribe': { textIn: 1.25, cachedIn: null, textOut: 5, audioIn: 3 },
  'whisper-1': { textIn: 0, cachedIn: null, textOut: 0, usdPerAudioMinute: 0.006 },
};

export function simulatorPrice(snapshot: string): SimulatorPrice {
  const price = Object.hasOwn(SIMULATOR_PRICES, snapshot) ? SIMULATOR_PRICES[snapshot] : undefined;
  if (!price) throw new Error(`the simulator has no price for ${snapshot}`);
  return price;
}
