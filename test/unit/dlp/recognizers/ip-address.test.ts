import { describe, expect, it } from 'vitest';
import { ipAddressRecognizer } from '../../../../functions/dlp/recognizers/ip-address.js';
import { reported } from './helpers.js';

describe('IP address recognizer', () => {
  it('finds IPv4 and IPv6 addresses', () => {
    // Prepare
    const text = 'Logged from 203.0.113.42 and 2001:db8:85a3::8a2e:370:7334, also fe80::1.';
    // Act
    const result = reported(ipAddressRecognizer, text);
    // Assess
    expect(result).toEqual(['203.0.113.42', '2001:db8:85a3::8a2e:370:7334', 'fe80::1']);
  });

  it('ignores octets over 255, version strings and clock times', () => {
    // Prepare
    const text = 'host 256.1.1.1, version 1.2.3.4.5, at 12:30:45, ratio 3:2';
    // Act
    const result = reported(ipAddressRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });
});
