import { describe, expect, it } from 'vitest';
import { awsAccessKeyRecognizer } from '../../../../functions/dlp/recognizers/aws-access-key.js';
import { reported } from './helpers.js';

describe('AWS access key id recognizer', () => {
  it('finds long-term (AKIA) and temporary (ASIA) key ids without context', () => {
    // Prepare: the documentation's example key id and a temporary one
    const text = 'key AKIAIOSFODNN7EXAMPLE then ASIAY34FZKBOKMUTVV7A';
    // Act
    const result = reported(awsAccessKeyRecognizer, text);
    // Assess
    expect(result).toEqual(['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A']);
  });

  it('ignores other prefixes, wrong lengths, lower case and characters outside base 32', () => {
    // Prepare
    const text =
      'ABIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPL akiaiosfodnn7example AKIAIOSFODNN1EXAMPLE AKIAIOSFODNN7EXAMPLEX';
    // Act
    const result = reported(awsAccessKeyRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });
});
