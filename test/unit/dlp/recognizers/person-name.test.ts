import { describe, expect, it } from 'vitest';
import { personNameRecognizer } from '../../../../functions/dlp/recognizers/person-name.js';
import { reported } from './helpers.js';

describe('person name recognizer', () => {
  it('finds names announced by a form label or a title, without the label', () => {
    // Prepare
    const text = 'Claimant: Maria Lopez-Garcia\nPATIENT NAME: John Q. Public\nDear Dr. Alan Turing,';
    // Act
    const result = reported(personNameRecognizer, text);
    // Assess
    expect(result).toEqual(['Maria Lopez-Garcia', 'John Q. Public', 'Alan Turing']);
  });

  it('stops a name at the next field label on the same line', () => {
    // Prepare
    const text = 'Name: Jane Doe Date of birth: 01/02/1980';
    // Act
    const result = reported(personNameRecognizer, text);
    // Assess
    expect(result).toEqual(['Jane Doe']);
  });

  it('does not guess names without a cue, nor lower-case words after a label', () => {
    // Prepare
    const text = 'Jane Doe called. File name: report final. Username: jdoe';
    // Act
    const result = reported(personNameRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });
});
