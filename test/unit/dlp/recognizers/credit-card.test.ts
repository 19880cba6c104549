import { describe, expect, it } from 'vitest';
import { creditCardRecognizer, luhnValid } from '../../../../functions/dlp/recognizers/credit-card.js';
import { reported } from './helpers.js';

describe('credit card recognizer', () => {
  it('finds network test numbers in plain, spaced and dashed forms', () => {
    // Prepare
    const text =
      'Visa 4111111111111111, MC 5555 5555 5555 4444, Amex 3782-822463-10005, Discover 6011 1111 1111 1117.';
    // Act
    const result = reported(creditCardRecognizer, text);
    // Assess
    expect(result).toEqual([
      '4111111111111111',
      '5555 5555 5555 4444',
      '3782-822463-10005',
      '6011 1111 1111 1117',
    ]);
  });

  it('rejects a number whose last digit breaks the Luhn check', () => {
    // Prepare
    const text = 'card 4111 1111 1111 1112';
    // Act
    const result = reported(creditCardRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });

  it('ignores Luhn-valid digit runs without a card network prefix, too short or repeated', () => {
    // Prepare: 79927398713 is the textbook Luhn example (11 digits); 0000… passes Luhn trivially
    const text = 'ref 79927398713, order 0000000000000000, id 1234567812345670';
    // Act
    const result = reported(creditCardRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });

  it('scores a validated number above any policy threshold even without context', () => {
    // Prepare
    const text = 'number 4111111111111111';
    // Act
    const [score] = reported(creditCardRecognizer, text, 0.9);
    // Assess
    expect(score).toBeDefined();
  });

  it('computes the Luhn check digit correctly', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });
});
