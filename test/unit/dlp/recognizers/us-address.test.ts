import { describe, expect, it } from 'vitest';
import { usAddressRecognizer } from '../../../../functions/dlp/recognizers/us-address.js';
import { reported } from './helpers.js';

describe('US street address recognizer', () => {
  it('finds street addresses with unit, directional, city, state and ZIP', () => {
    // Prepare
    const text = 'Lives at 1600 Pennsylvania Avenue NW, Washington, DC 20500. Mail: 42 Elm St. Apt 3B';
    // Act
    const result = reported(usAddressRecognizer, text);
    // Assess
    expect(result).toEqual(['1600 Pennsylvania Avenue NW, Washington, DC 20500', '42 Elm St. Apt 3B']);
  });

  it('ignores numbers followed by words that are not a street', () => {
    // Prepare
    const text = 'We shipped 3 Large Boxes and 12 items on the way home';
    // Act
    const result = reported(usAddressRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });
});
