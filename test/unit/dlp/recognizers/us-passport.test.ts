import { describe, expect, it } from 'vitest';
import { usPassportRecognizer } from '../../../../functions/dlp/recognizers/us-passport.js';
import { reported } from './helpers.js';

describe('US passport recognizer', () => {
  it('reports nine digits or a letter and eight digits after a passport label', () => {
    // Prepare
    const text = 'Passport No: 512345678; passport number A12345678';
    // Act
    const result = reported(usPassportRecognizer, text);
    // Assess
    expect(result).toEqual(['512345678', 'A12345678']);
  });

  it('does not report the same shapes without context, nor longer runs', () => {
    // Prepare
    const text = 'order 512345678, item A12345678, passport 5123456789';
    // Act
    const result = reported(usPassportRecognizer, text);
    // Assess
    expect(result).toEqual([]);
  });
});
