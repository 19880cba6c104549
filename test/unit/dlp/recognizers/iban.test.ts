import { describe, expect, it } from 'vitest';
import { ibanRecognizer, ibanValid } from '../../../../functions/dlp/recognizers/iban.js';
import { reported } from './helpers.js';

describe('IBAN recognizer', () => {
  it('finds valid IBANs grouped and compact', () => {
    // Prepare: the registry's published examples
    const text = 'Pay DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432, or NO9386011117947.';
    // Act
    const result = reported(ibanRecognizer, text);
    // Assess
    expect(result).toEqual(['DE89 3704 0044 0532 0130 00', 'GB82WEST12345698765432', 'NO9386011117947']);
  });

  it('rejects a wrong check digit, a wrong length and an unknown country', () => {
    // Prepare
    const text = 'DE88 3704 0044 0532 0130 00, DE89 3704 0044 0532 0130 0, ZZ89 3704 0044 0532 0130 00';
    // Act
    const result = reported(ibanRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });

  it('validates mod-97 on letters as well as digits', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
  });
});
