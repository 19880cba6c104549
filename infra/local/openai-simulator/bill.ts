/**
 * The simulator's own bill: one line for every request the model answered, whether or not the client
 * saw the answer (OpenAI bills a request its model processed even if the client hung up). It is kept in
 * memory and, when a file is given, as JSON lines, so a reconciliation can compare the project's ledger
 * with what the provider would charge. It is served in the shape of OpenAI's organization Usage API
 * (`GET /v1/organization/usage/completions`) and Costs API (`GET /v1/organization/costs`).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { simulatorPrice } from './price-table.js';

export interface BillLine {
  /** When the model finished the answer, ISO-8601 UTC. */
  readonly timestamp: string;
  readonly requestId: string;
  readonly endpoint: 'chat.completions' | 'audio.transcriptions';
  /** The snapshot that ran (what the response's `model` says). */
  readonly model: string;
  /** All input tokens, as `usage.prompt_tokens`: text, image and audio, cached ones included. */
  readonly inputTokens: number;
  readonly cachedTokens: number;
  /** Part of `inputTokens`, for reporting; billed at the text-input rate. */
  readonly imageTokens: number;
  /** Part of `inputTokens`. */
  readonly audioInputTokens: number;
  /** All output tokens, as `usage.completion_tokens`: audio ones included. */
  readonly outputTokens: number;
  /** Part of `outputTokens`. */
  readonly audioOutputTokens: number;
  /** Seconds of audio, for models billed by the minute (whisper-1). */
  readonly audioSeconds?: number;
  /** Integer micro-USD from the simulator's own price table, rounded up once for the request. */
  readonly costMicroUsd: number;
  /** False when the fault script lost the answer after the model had produced it (timeout, reset, malformed). */
  readonly clientSawAnswer: boolean;
}

export type UnpricedBillLine = Omit<BillLine, 'costMicroUsd'>;

/** micro-USD × 1,000,000 (so a per-1M-token rate times tokens is exact), by OpenAI-style line item. */
export function lineItemCosts(line: UnpricedBillLine): { lineItem: string; microUsdE6: bigint }[] {
  const price = simulatorPrice(line.model);
  const rate = (usdPerMillion: number | null | undefined) => BigInt(Math.round((usdPerMillion ?? 0) * 1e6));
  if (price.usdPerAudioMinute !== undefined) {
    const perSecondE6 = BigInt(Math.round((price.usdPerAudioMinute / 60) * 1e12));
    return [
      {
        lineItem: `${line.model}, audio`,
        microUsdE6: BigInt(Math.ceil(line.audioSeconds ?? 0)) * perSecondE6,
      },
    ];
  }
  const uncachedText = line.inputTokens - line.cachedTokens - line.audioInputTokens;
  const items = [
    { lineItem: `${line.model}, input`, microUsdE6: BigInt(uncachedText) * rate(price.textIn) },
    {
      lineItem: `${line.model}, cached input`,
      microUsdE6: BigInt(line.cachedTokens) * rate(price.cachedIn ?? price.textIn),
    },
    {
      lineItem: `${line.model}, audio input`,
      microUsdE6: BigInt(line.audioInputTokens) * rate(price.audioIn),
    },
    {
      lineItem: `${line.model}, output`,
      microUsdE6: BigInt(line.outputTokens - line.audioOutputTokens) * rate(price.textOut),
    },
    {
      lineItem: `${line.model}, audio output`,
      microUsdE6: BigInt(line.audioOutputTokens) * rate(price.audioOut),
    },
  ];
  return items.filter((item) => item.microUsdE6 > 0n);
}

export function costMicroUsd(line: UnpricedBillLine): number {
  const total = lineItemCosts(line).reduce((sum, item) => sum + item.microUsdE6, 0n);
  return Number((total + 999_999n) / 1_000_000n);
}

export class SimulatorBill {
  readonly lines: BillLine[] = [];

  /** Lines already in `file` (from an earlier run of the stack) are read back: a bill outlives a restart. */
  constructor(private readonly file?: string) {
    if (!file || !existsSync(file)) return;
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (text.trim() !== '') this.lines.push(JSON.parse(text) as BillLine);
    }
  }

  record(unpriced: UnpricedBillLine): BillLine {
    const line: BillLine = { ...unpriced, costMicroUsd: costMicroUsd(unpriced) };
    this.lines.push(line);
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    }
    return line;
  }
}
