import { isIPv4, isIPv6 } from 'node:net';
import type { Recognizer } from './recognizer.js';

const HEX = '[0-9A-Fa-f]{0,4}';
const DOTTED_QUAD = String.raw`\d{1,3}(?:\.\d{1,3}){3}`;
/**
 * IPv6 text forms of RFC 4291 §2.2 (full, `::`-compressed, and with an embedded IPv4 in the last 32
 * bits, e.g. ::ffff:192.0.2.128) as RFC 5952 writes them, with an optional RFC 4007 / RFC 6874 zone
 * id (fe80::1%eth0). The regex only proposes; `net.isIPv6` decides.
 */
const IPV6 = String.raw`(?<![\w:.%])(?:${HEX}:){2,7}(?:${DOTTED_QUAD}|${HEX})(?:%[A-Za-z0-9._~-]+)?(?![\w:])`;

/** IPv4 (dotted quad, not part of a longer dotted run such as a version string) and IPv6 addresses. */
export const ipAddressRecognizer: Recognizer = {
  name: 'ip-address',
  type: 'IP_ADDRESS',
  patterns: [{ regex: /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)/g }, { regex: new RegExp(IPV6, 'g') }],
  validate(match) {
    if (match.includes(':')) {
      const address = match.split('%')[0] ?? '';
      return isIPv6(address) && /[0-9A-Fa-f]/.test(address);
    }
    return isIPv4(match);
  },
  baseScore: 0.3,
  validatedScore: 0.6,
  contextWords: [
    'ip',
    'ip address',
    'ipv4',
    'ipv6',
    'host',
    'server',
    'address',
    'addr',
    'client',
    'src',
    'dst',
  ],
  negativeContextWords: ['version', 'ver', 'build', 'release', 'firmware', 'oid'],
  contextBoost: 0.3,
};
