import type { Recognizer } from './recognizer.js';

/**
 * AWS secret access keys: 40 base-64 characters. Many tokens and hashes look the same, so the
 * validator only asks for the mix of classes a random key has and a context word decides.
 */
export const awsSecretKeyRecognizer: Recognizer = {
  name: 'aws-secret-key',
  type: 'AWS_SECRET_KEY',
  patterns: [{ regex: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g }],
  validate(match) {
    const classes = [/[a-z]/, /[A-Z]/, /[0-9/+]/].filter((re) => re.test(match)).length;
    return classes === 3 ? undefined : false;
  },
  baseScore: 0.1,
  contextWords: [
    'aws_secret_access_key',
    'secret access key',
    'secret_access_key',
    'secret key',
    'secret',
    'aws',
  ],
  contextBoost: 0.7,
};
