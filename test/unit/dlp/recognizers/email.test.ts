import { describe, expect, it } from 'vitest';
import { emailRecognizer } from '../../../../functions/dlp/recognizers/email.js';
import { reported } from './helpers.js';

describe('email recognizer', () => {
  it('finds addresses with sub-domains, plus tags and dots', () => {
    // Prepare
    const text = 'Write to jane.doe+claims@mail.example.co.uk or J_SMITH@EXAMPLE.COM.';
    // Act
    const result = reported(emailRecognizer, text);
    // Assess
    expect(result).toEqual(['jane.doe+claims@mail.example.co.uk', 'J_SMITH@EXAMPLE.COM']);
  });

  it('ignores strings with no dotted domain, a numeric top-level domain or a double dot', () => {
    // Prepare
    const text = 'root@localhost, user@host.123, a..b@example.com, @example.com, handle@ mention';
    // Act
    const result = reported(emailRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });
});
