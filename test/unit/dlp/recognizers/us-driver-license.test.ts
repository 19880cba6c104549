import { describe, expect, it } from 'vitest';
import { usDriverLicenseRecognizer } from '../../../../functions/dlp/recognizers/us-driver-license.js';
import { reported } from './helpers.js';

describe('US driver licence recognizer', () => {
  it("reports state formats after a driver's licence label", () => {
    // Prepare
    const text = "Driver's License: D1234567. DL# 123456789. Florida licence S123-456-78-901-0";
    // Act
    const result = reported(usDriverLicenseRecognizer, text);
    // Assess
    expect(result).toEqual(['D1234567', '123456789', 'S123-456-78-901-0']);
  });

  it('does not report the same shapes without context, nor short codes', () => {
    // Prepare
    const text = 'invoice D1234567, account 123456789, licence A12';
    // Act
    const result = reported(usDriverLicenseRecognizer, text);
    // Assess
    expect(result).toEqual([]);
  });
});
