import { describe, expect, it } from 'vitest';
import { itemCacheKey } from '../../../functions/model/result-cache.js';
import { findTask, type TaskDefinition } from '../../../functions/model/tasks.js';

const describeTask = findTask('describe') as TaskDefinition;
const base = {
  tenant: 'acme',
  mediaSha256: 'a'.repeat(64),
  instructionsAsSent: 'What%20is%20it%3F',
  task: describeTask,
  policyVersion: 'default@3',
};

describe('the result-cache key of an item', () => {
  it('is the same for the same question, wherever it is computed', () => {
    expect(itemCacheKey(base)).toBe(itemCacheKey({ ...base }));
  });

  it.each([
    [
      'another DLP policy version, so a policy change never serves an answer it would block',
      { policyVersion: 'default@4' },
    ],
    ['another tenant', { tenant: 'globex' }],
    ['other media', { mediaSha256: 'b'.repeat(64) }],
    ['another question', { instructionsAsSent: 'Is%20it%20a%20dog%3F' }],
    ['another task version', { task: { ...describeTask, version: '99' } }],
  ])('differs for %s', (_label, change) => {
    expect(itemCacheKey({ ...base, ...change })).not.toBe(itemCacheKey(base));
  });
});
