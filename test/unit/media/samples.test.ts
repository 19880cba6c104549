import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateAndStrip } from '../../../functions/media/sanitize.js';
import { SAMPLES_DIR } from '../../../scripts/make-samples.js';
import { EXTENSION_FOR_MIME, exiftoolRead, metadataLeaks } from '../../fixtures/exiftool.js';

const SAMPLES = [
  {
    name: 'photo-with-gps.jpg',
    carries: ['GPS:GPSLatitude', 'ExifIFD:SerialNumber', 'ExifIFD:OwnerName', 'IFD0:Orientation'],
    removed: ['EXIF:GPSLatitude', 'EXIF:SerialNumber', 'EXIF:OwnerName', 'EXIF:Orientation'],
    size: [1500, 2000],
  },
  { name: 'claim-form.png', carries: ['PNG:ImageWidth'], removed: [], size: [1200, 900] },
  {
    name: 'voice-note.wav',
    carries: ['RIFF:Title', 'RIFF:Artist', 'RIFF:Comment'],
    removed: ['RIFF:title', 'RIFF:artist', 'RIFF:comment'],
    size: null,
  },
] as const;

describe('committed samples (made by scripts/make-samples.ts)', () => {
  it.each(SAMPLES)(
    '$name is small, carries its metadata, and comes out clean',
    async ({ name, carries, removed, size }) => {
      // Prepare
      const bytes = readFileSync(join(SAMPLES_DIR, name));
      // Act
      const outcome = await validateAndStrip(bytes);
      // Assess
      expect(bytes.length).toBeLessThan(300 * 1024);
      expect(Object.keys(exiftoolRead(bytes, name.split('.').pop() ?? 'bin'))).toEqual(
        expect.arrayContaining([...carries]),
      );
      if (!outcome.ok) throw new Error(`rejected: ${outcome.rejection.reason}`);
      expect(outcome.removed).toEqual(expect.arrayContaining([...removed]));
      if (size) {
        // The upload's displayed size, and a clean copy bounded to 1024 px with the same orientation.
        expect([outcome.sourceWidth, outcome.sourceHeight]).toEqual(size);
        const [width, height] = size;
        expect(Math.max(outcome.width ?? 0, outcome.height ?? 0)).toBe(
          Math.min(1024, Math.max(width, height)),
        );
        expect((outcome.width ?? 0) > (outcome.height ?? 0)).toBe(width > height);
      }
      expect(metadataLeaks(outcome.bytes, EXTENSION_FOR_MIME[outcome.outputType] ?? 'bin')).toEqual([]);
    },
  );
});
