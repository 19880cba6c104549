import type { Recognizer } from './recognizer.js';

/**
 * AWS access key ids: AKIA (long-term) or ASIA (temporary) and 16 base-32 characters. The prefix and
 * alphabet are specific enough to need no context.
 */
export const awsAccessKeyRecognizer: Recognizer = {
  name: 'aws-access-key',
  type: 'AWS_ACCESS_KEY',
  patterns: [{ regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z2-7]{16}(?![A-Za-z0-9])/g }],
  validate: (match) => !/^(?:AKIA|ASIA)(.)\1{15}$/.test(match),
  baseScore: 0.5,
  validatedScore: 0.9,
  contextWords: ['aws', 'access key', 'access_key', 'aws_access_key_id', 'key id'],
  contextBoost: 0.1,
};
