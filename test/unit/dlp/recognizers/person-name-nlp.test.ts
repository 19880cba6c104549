import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../../../functions/dlp/analyzer.js';
import { personNameNlpRecognizer } from '../../../../functions/dlp/recognizers/person-name-nlp.js';
import { found, reported } from './helpers.js';

describe('person name recognizer (compromise NLP)', () => {
  it('reports full names in sentences without a label when a context word is near', () => {
    // Prepare
    const text = [
      'I spoke with Maria Gonzalez yesterday about the claim.',
      'The form was signed by Tomasz Lindqvist on Monday.',
      'Kind regards,\nAlan Turing',
      'Rose Byrne called about the invoice.',
    ].join('\n');
    // Act
    const result = reported(personNameNlpRecognizer, text);
    // Assess
    expect(result).toEqual(['Maria Gonzalez', 'Tomasz Lindqvist', 'Alan Turing', 'Rose Byrne']);
  });

  it('keeps a bare full name under the threshold, and a full name above a single word', () => {
    // Prepare
    const text = 'Maria Gonzalez filed it. Please contact Sarah today.';
    // Act
    const result = found(personNameNlpRecognizer, text);
    // Assess
    expect(result).toEqual([
      { text: 'Maria Gonzalez', score: 0.35 },
      { text: 'Sarah', score: 0.4 },
    ]);
    expect(reported(personNameNlpRecognizer, text)).toEqual([]);
  });

  it('splits names at commas and keeps initials and hyphenated surnames whole', () => {
    // Prepare
    const text = 'Hi Sarah, Tom Hanks and John Q. Public were there. Signed by Jo Ann Lee-Wong.';
    // Act
    const result = found(personNameNlpRecognizer, text).map((f) => f.text);
    // Assess
    expect(result).toEqual(['Sarah', 'Tom Hanks', 'John Q. Public', 'Jo Ann Lee-Wong']);
  });

  it('keeps a given name that is also a word only when a surname follows it', () => {
    // Prepare
    const text = 'In June, Will Smith and April Jones spoke with us.';
    // Act
    const result = found(personNameNlpRecognizer, text).map((f) => f.text);
    // Assess
    expect(result).toEqual(['Will Smith', 'April Jones']);
  });

  it('reports nothing for months, modal verbs and common words tagged as names, even near context', () => {
    // Prepare
    const text =
      'May I ask about the claim? Will you call me? Bill me later. Dear team, we met in April and June. ' +
      'Contact Grace about the grace period. Mark the box. Chase Bank called.';
    // Act
    const result = found(personNameNlpRecognizer, text);
    // Assess
    expect(result).toEqual([]);
  });

  it('reports no streets, cities or companies', () => {
    // Prepare
    const text =
      'Send it to 12 Main Street, Austin, TX 78701. Acme Corp paid, and so did Morgan Stanley Bank, ' +
      'Johnson Controls Inc and Ford Motor Company. I live on Washington Street near Lincoln Road.';
    // Act
    const result = found(personNameNlpRecognizer, text);
    // Assess
    expect(result).toEqual([]);
  });

  it('takes lower-case names only when both words are names and neither is also a word', () => {
    // Prepare
    const text =
      'signed by john smith on monday. spoke with mark smith. contact grace period. will you call bill?';
    // Act
    const result = found(personNameNlpRecognizer, text);
    // Assess
    expect(result).toEqual([{ text: 'john smith', score: 0.55 }]);
  });

  it('reports no ALL-CAPS codes or single letters as a name', () => {
    // Prepare
    const text = 'Policy TY-012284, claim 8812334. Spoke with J about it.';
    // Act
    const result = found(personNameNlpRecognizer, text);
    // Assess
    expect(result).toEqual([]);
  });

  it('keeps spans right after characters outside the BMP', () => {
    // Prepare
    const text = '😀 I spoke with Maria Gonzalez yesterday.';
    // Act
    const result = reported(personNameNlpRecognizer, text);
    // Assess
    expect(result).toEqual(['Maria Gonzalez']);
  });

  it('leaves a name after a label or title to person-name: one finding, with its score', () => {
    // Prepare
    const text = 'Claimant: Grace Fischer Use routing for the refund. Dear Dr. Alan Turing, thanks.';
    // Act
    const names = analyzeText(text)
      .filter((f) => f.type === 'NAME')
      .map((f) => ({ text: text.slice(f.start, f.end), score: f.score }));
    // Assess
    expect(names).toEqual([
      { text: 'Grace Fischer', score: 0.7 },
      { text: 'Alan Turing', score: 0.6 },
    ]);
  });
});
