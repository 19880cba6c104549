import { describe, expect, it } from 'vitest';
import { abaRoutingRecognizer, abaValid } from '../../../../functions/dlp/recognizers/aba-routing.js';
import { reported } from './helpers.js';

describe('ABA routing number recognizer', () => {
  it('reports checksum-valid routing numbers after a routing context word', () => {
    // Prepare: published routing numbers of large US banks
    const text = 'Routing number: 021000021. ABA 011000015. RTN 122105278';
    // Act
    const result = reported(abaRoutingRecognizer, text);
    // Assess
    expect(result).toEqual(['021000021', '011000015', '122105278']);
  });

  it('rejects a broken checksum and an unassigned Federal Reserve prefix', () => {
    // Prepare: 021000022 changes the check digit; 991000021 has prefix 99
    const text = 'Routing 021000022, routing 991000021';
    // Act
    const result = reported(abaRoutingRecognizer, text, 0);
    // Assess
    expect(result).toEqual([]);
  });

  it('does not report a valid checksum without context', () => {
    expect(reported(abaRoutingRecognizer, 'order 021000021')).toEqual([]);
    expect(abaValid('021000021')).toBe(true);
  });
});
