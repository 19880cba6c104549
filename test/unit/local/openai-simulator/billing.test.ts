import { describe, expect, it } from 'vitest';
import {
  cachedTokensForSharedPrefix,
  PromptCache,
  PromptTokens,
} from '../../../../infra/local/openai-simulator/billing.js';

function prompt(text: string): PromptTokens {
  const tokens = new PromptTokens();
  tokens.startMessage('user');
  tokens.text(text);
  tokens.primeReply();
  return tokens;
}

const LONG_PREFIX = 'policy line. '.repeat(600);

describe('simulator prompt caching (OpenAI: from 1,024 tokens, in 128-token steps)', () => {
  it('reports nothing under 1,024 shared tokens, then 1,024 + whole 128-token steps', () => {
    expect(cachedTokensForSharedPrefix(1023)).toBe(0);
    expect(cachedTokensForSharedPrefix(1024)).toBe(1024);
    expect(cachedTokensForSharedPrefix(1151)).toBe(1024);
    expect(cachedTokensForSharedPrefix(1152)).toBe(1152);
  });

  it('reports the prefix two different prompts share as cached, not only a repeated prompt', () => {
    // Prepare
    const cache = new PromptCache(() => 0);
    const first = prompt(`${LONG_PREFIX} Question one?`);
    const second = prompt(`${LONG_PREFIX} A different question two.`);

    // Act
    const cold = cache.lookup('gpt-4o', first);
    const warm = cache.lookup('gpt-4o', second);

    // Assess
    expect(cold).toBe(0);
    expect(warm).toBe(cachedTokensForSharedPrefix(first.sharedPrefixWith(second)));
    expect(warm).toBeGreaterThanOrEqual(1024);
    expect(warm).toBeLessThan(second.length);
  });

  it('keeps caches apart per model and forgets a prefix five minutes after its last use', () => {
    let now = 0;
    const cache = new PromptCache(() => now);
    cache.lookup('gpt-4o', prompt(LONG_PREFIX));

    expect(cache.lookup('gpt-4o-mini', prompt(LONG_PREFIX))).toBe(0);
    now = 5 * 60_000;
    expect(cache.lookup('gpt-4o', prompt(LONG_PREFIX))).toBe(0);
  });

  it('never caches a prompt shorter than 1,024 tokens', () => {
    const cache = new PromptCache(() => 0);
    cache.lookup('gpt-4o', prompt('short'));
    expect(cache.lookup('gpt-4o', prompt('short'))).toBe(0);
  });
});
