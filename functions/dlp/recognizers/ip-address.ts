import { isIPv4, isIPv6 } from 'node:net';
import type { Recognizer } from './recognizer.js';

/** IPv4 (dotted quad, not part of a longer dotted run such as a version string) and IPv6 addresses. */
export const ipAddressRecognizer: Recognizer = {
  name: 'ip-address',
  type: 'IP_ADDRESS',
  patterns: [
    { regex: /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)/g },
    { regex: /(?<![\w:])(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?::|[0-9A-Fa-f]{1,4})(?![\w:])/g },
  ],
  validate(match) {
    if (match.includes(':')) return isIPv6(match) && /[0-9A-Fa-f]/.test(match);
    return isIPv4(match);
  },
  baseScore: 0.3,
  validatedScore: 0.6,
  contextWords: ['ip', 'ip address', 'ipv4', 'ipv6', 'host', 'server', 'address'],
  contextBoost: 0.3,
};
