/**
 * Usage as OpenAI bills a Chat Completions request, from OpenAI's published rules (nothing here comes
 * from `functions/`, so a wrong formula in the project cannot hide in the simulator):
 * - text: o200k tokens of every text part, plus 3 tokens framing each message, the tokens of its role,
 *   and 3 priming the reply (OpenAI cookbook, "How to count tokens with tiktoken", chat section);
 * - images: see image-tokens.ts;
 * - audio: 10 tokens per second of input audio (OpenAI: user audio is "1 token per 100 ms"), rounded
 *   up per clip (ASSUMED: OpenAI does not say how a partial 100 ms is counted);
 * - prompt caching (OpenAI, "Prompt caching"): only prompts of 1,024 tokens or more; a prompt whose
 *   beginning matches a recent prompt to the same model reports that shared prefix as cached, from
 *   1,024 tokens up in 128-token steps. Entries live 5 minutes after their last use (OpenAI: "5 to 10
 *   minutes of inactivity"; the lower bound, so a rehearsal never counts on a hit it might not get).
 */
import { encode } from 'gpt-tokenizer/model/gpt-4o';

export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_REPLY_PRIMING = 3;
export const AUDIO_TOKENS_PER_SECOND = 10;
export const CACHE_MIN_TOKENS = 1024;
export const CACHE_STEP = 128;
const CACHE_TTL_MS = 5 * 60_000;
/** Enough prompts for a rehearsal; the oldest go first. */
const CACHE_CAPACITY = 256;

export function textTokens(text: string): number {
  return encode(text).length;
}

export function messageFramingTokens(roles: readonly string[]): number {
  return roles.reduce((sum, role) => sum + TOKENS_PER_MESSAGE + textTokens(role), 0) + TOKENS_REPLY_PRIMING;
}

export function audioTokens(seconds: number): number {
  return Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND);
}

/** What a shared prefix of this many tokens is reported as: nothing under 1,024, then 128-token steps. */
export function cachedTokensForSharedPrefix(sharedPrefixTokens: number): number {
  if (sharedPrefixTokens < CACHE_MIN_TOKENS) return 0;
  return CACHE_MIN_TOKENS + Math.floor((sharedPrefixTokens - CACHE_MIN_TOKENS) / CACHE_STEP) * CACHE_STEP;
}

/**
 * A prompt as the cache sees it: one number per billed token. Text tokens are their o200k ids; framing,
 * image and audio tokens are negative markers (an image's marker comes from its bytes and detail, so
 * only the same image matches).
 */
export class PromptTokens {
  private readonly tokens: number[] = [];

  startMessage(role: string): void {
    this.tokens.push(-1, -2, -3, ...encode(role));
  }

  text(text: string): void {
    this.tokens.push(...encode(text));
  }

  opaque(marker: number, count: number): void {
    for (let i = 0; i < count; i++) this.tokens.push(-(1000 + marker));
  }

  primeReply(): void {
    this.tokens.push(-4, -5, -6);
  }

  get length(): number {
    return this.tokens.length;
  }

  sharedPrefixWith(other: PromptTokens): number {
    const limit = Math.min(this.tokens.length, other.tokens.length);
    let shared = 0;
    while (shared < limit && this.tokens[shared] === other.tokens[shared]) shared++;
    return shared;
  }
}

interface CacheEntry {
  readonly model: string;
  readonly prompt: PromptTokens;
  lastUsedMs: number;
}

export class PromptCache {
  private entries: CacheEntry[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Cached tokens for this prompt, which the cache then remembers for the prompts after it. */
  lookup(model: string, prompt: PromptTokens): number {
    const now = this.now();
    this.entries = this.entries.filter((entry) => now - entry.lastUsedMs < CACHE_TTL_MS);
    let best: { shared: number; entry?: CacheEntry } = { shared: 0 };
    for (const entry of this.entries) {
      if (entry.model !== model) continue;
      const shared = prompt.sharedPrefixWith(entry.prompt);
      if (shared > best.shared) best = { shared, entry };
    }
    const cached = cachedTokensForSharedPrefix(best.shared);
    if (cached > 0 && best.entry) best.entry.lastUsedMs = now;
    if (prompt.length >= CACHE_MIN_TOKENS) {
      this.entries.push({ model, prompt, lastUsedMs: now });
      if (this.entries.length > CACHE_CAPACITY) this.entries.shift();
    }
    return cached;
  }
}
