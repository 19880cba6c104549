import { describe, expect, it } from 'vitest';
import {
  dateOfBirthRecognizer,
  plausibleBirthDate,
} from '../../../../functions/dlp/recognizers/date-of-birth.js';
import { reported } from './helpers.js';

describe('date of birth recognizer', () => {
  it('reports dates in several layouts after a birth context word', () => {
    // Prepare
    const text = 'DOB: 03/14/1985. Date of birth 1985-03-14. Born March 14, 1985. Birthdate 14 Mar 1985';
    // Act
    const result = reported(dateOfBirthRecognizer, text);
    // Assess
    expect(result).toEqual(['03/14/1985', '1985-03-14', 'March 14, 1985', '14 Mar 1985']);
  });

  it('does not report dates without a birth context', () => {
    // Prepare
    const text = 'Invoice dated 03/14/1985, shipped 1985-03-14';
    // Act
    const result = reported(dateOfBirthRecognizer, text);
    // Assess
    expect(result).toEqual([]);
  });

  it('rejects impossible and future dates', () => {
    // Prepare
    const text = 'DOB: 02/30/1985, DOB: 13/13/1985, DOB 2099-01-01';
    // Act
    const result = reported(dateOfBirthRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
    expect(plausibleBirthDate('29/02/2000')).toBe(true);
  });
});
