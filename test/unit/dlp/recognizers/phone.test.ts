import { describe, expect, it } from 'vitest';
import { phoneRecognizer } from '../../../../functions/dlp/recognizers/phone.js';
import { reported } from './helpers.js';

describe('phone recognizer', () => {
  it('finds US numbers in common layouts and international numbers with a country code', () => {
    // Prepare
    const text = 'Call (415) 555-2671, 415.555.2672 or +1 415 555 2673; London +44 20 7946 0958.';
    // Act
    const result = reported(phoneRecognizer, text);
    // Assess
    expect(result).toEqual(['(415) 555-2671', '415.555.2672', '+1 415 555 2673', '+44 20 7946 0958']);
  });

  it('ignores digit runs that are not valid numbers', () => {
    // Prepare: area code 123 does not exist; too short; a date; a card number
    const text = 'ref 123-456-7890, code 555-2671, on 2024-03-14, card 4111 1111 1111 1111';
    // Act
    const result = reported(phoneRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });
});
