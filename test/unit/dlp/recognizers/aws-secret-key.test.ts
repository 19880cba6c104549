import { describe, expect, it } from 'vitest';
import { awsSecretKeyRecognizer } from '../../../../functions/dlp/recognizers/aws-secret-key.js';
import { reported } from './helpers.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('AWS secret access key recognizer', () => {
  it('reports a 40-character key next to a secret-key label', () => {
    // Prepare
    const text = `aws_secret_access_key = ${SECRET}`;
    // Act
    const result = reported(awsSecretKeyRecognizer, text);
    // Assess
    expect(result).toEqual([SECRET]);
  });

  it('does not report a bare 40-character token, a hex digest or a longer token', () => {
    // Prepare: a SHA-1 hex digest lacks upper case; the long token is 41 characters
    const text = `token ${SECRET} sha da39a3ee5e6b4b0d3255bfef95601890afd80709 secret ${SECRET}Z`;
    // Act
    const result = reported(awsSecretKeyRecognizer, text);
    // Assess
    expect(result).toEqual([]);
  });
});
