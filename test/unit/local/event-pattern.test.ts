import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../../infra/local/event-pattern.js';

const pattern = {
  source: ['aws.s3'],
  'detail-type': ['Object Created'],
  detail: { bucket: { name: ['ingest'] }, object: { key: [{ prefix: 'incoming/' }] } },
};

const event = (bucket: string, key: string) => ({
  source: 'aws.s3',
  'detail-type': 'Object Created',
  detail: { bucket: { name: bucket }, object: { key } },
});

describe('event pattern matching', () => {
  it('matches value lists and prefixes in nested fields', () => {
    expect(matchesEventPattern(event('ingest', 'incoming/acme/1'), pattern)).toBe(true);
  });

  it('does not match another bucket, another prefix or a missing field', () => {
    expect(matchesEventPattern(event('processed', 'incoming/acme/1'), pattern)).toBe(false);
    expect(matchesEventPattern(event('ingest', 'sanitized/acme/1'), pattern)).toBe(false);
    expect(matchesEventPattern({ source: 'aws.s3' }, pattern)).toBe(false);
  });

  it('refuses matchers it does not implement rather than guessing', () => {
    expect(() =>
      matchesEventPattern(event('ingest', 'x'), { detail: { object: { key: [{ suffix: '.jpg' }] } } }),
    ).toThrow(/unsupported/);
  });
});
