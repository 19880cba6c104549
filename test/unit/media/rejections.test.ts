import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeAndNormalize } from '../../../functions/media/one-pass.js';
import type { SanitizeOptions } from '../../../functions/media/sanitize.js';
import { validateAndStrip } from '../../../functions/media/sanitize.js';
import {
  corruptFlac,
  heicHeader,
  jpegClaimingHugeSize,
  manyPages,
  minimalPdf,
  plainJpeg,
  plainPng,
  pngBomb,
  svgWithScript,
  textFile,
  toneWav,
  truncatedJpeg,
  utf16Text,
  videoMp4,
  wavClaiming64Channels,
  wavClaimingHugeDuration,
} from '../../../scripts/make-fixtures.js';
import { FFMPEG_BINARIES, useFfmpeg } from '../../fixtures/ffmpeg-binaries.js';

async function reasonFor(
  input: Buffer,
  options?: SanitizeOptions,
): Promise<{ reason: string; message: string }> {
  const outcome = await validateAndStrip(input, options);
  if (outcome.ok) throw new Error(`expected a rejection, got ${outcome.outputType}`);
  return outcome.rejection;
}

describe('validateAndStrip rejections', () => {
  const fixtures: Record<string, Buffer> = {};

  beforeAll(async () => {
    fixtures.png = await plainPng();
    fixtures.jpeg = await plainJpeg();
    fixtures.truncated = await truncatedJpeg();
    fixtures.hugeSof = await jpegClaimingHugeSize();
    fixtures.tone = toneWav(3, 2);
    fixtures.video = videoMp4();
    fixtures.corruptFlac = corruptFlac();
    fixtures.gif1001 = await manyPages('gif');
    fixtures.tiff1001 = await manyPages('tiff');
  });

  it('rejects empty input as EMPTY', async () => {
    expect((await reasonFor(Buffer.alloc(0))).reason).toBe('EMPTY');
  });

  it('rejects a PNG uploaded as image/jpeg with TYPE_MISMATCH', async () => {
    // Act
    const rejection = await reasonFor(fixtures.png as Buffer, { declaredType: 'image/jpeg' });
    // Assess
    expect(rejection.reason).toBe('TYPE_MISMATCH');
    expect(rejection.message).toContain('image/png');
  });

  it('accepts a declared type given with parameters and in another case', async () => {
    // Act
    const outcome = await validateAndStrip(fixtures.jpeg as Buffer, {
      declaredType: 'Image/JPG; charset=binary',
    });
    // Assess
    expect(outcome.ok).toBe(true);
  });

  it('does not check an uninformative declared type such as application/octet-stream', async () => {
    // Act
    const outcome = await validateAndStrip(fixtures.png as Buffer, {
      declaredType: 'application/octet-stream',
    });
    // Assess
    expect(outcome.ok).toBe(true);
  });

  it('rejects a text file named .jpg as UNSUPPORTED_TYPE, with or without a declared image type', async () => {
    // Act
    const bare = await reasonFor(textFile());
    const declared = await reasonFor(textFile(), { declaredType: 'image/jpeg' });
    // Assess: the bytes are not a format we take at all, which is what the user must fix.
    expect(bare.reason).toBe('UNSUPPORTED_TYPE');
    expect(declared.reason).toBe('UNSUPPORTED_TYPE');
  });

  it('rejects an SVG with a script, named .jpg, without rasterising it', async () => {
    // Act
    const rejection = await reasonFor(svgWithScript(), { declaredType: 'image/jpeg' });
    // Assess
    expect(rejection.reason).toBe('UNSUPPORTED_TYPE');
    expect(rejection.message).toMatch(/SVG/);
  });

  it('rejects UTF-16 text that naive sniffers take for MPEG audio', async () => {
    // Act
    const rejection = await reasonFor(utf16Text(), { declaredType: 'audio/mpeg' });
    // Assess
    expect(rejection.reason).toBe('UNSUPPORTED_TYPE');
    expect(rejection.message).toMatch(/text/);
  });

  it('rejects a PDF without pages or a cross-reference table as CORRUPT', async () => {
    expect((await reasonFor(minimalPdf())).reason).toBe('CORRUPT');
  });

  it('rejects a HEIC whose container holds no decodable image as CORRUPT', async () => {
    expect((await reasonFor(heicHeader(), { declaredType: 'image/heic' })).reason).toBe('CORRUPT');
  });

  it('rejects a truncated JPEG as CORRUPT', async () => {
    expect((await reasonFor(fixtures.truncated as Buffer)).reason).toBe('CORRUPT');
  });

  it('refuses a 1 KB PNG claiming 17000×17000 from its header, with bounded peak memory', async () => {
    // Prepare
    const bomb = pngBomb(17_000);
    expect(bomb.length).toBeLessThan(1024);
    const peakKibBefore = process.resourceUsage().maxRSS;
    // Act
    const rejection = await reasonFor(bomb);
    // Assess: the per-side message comes from the header check (a failed decode would be CORRUPT), and
    // the process's peak RSS barely moves where decoding would need 867 MB.
    expect(rejection.reason).toBe('LIMIT_EXCEEDED');
    expect(rejection.message).toMatch(/17000×17000 px/);
    expect((process.resourceUsage().maxRSS - peakKibBefore) * 1024).toBeLessThan(64 * 1024 * 1024);
  });

  it('rejects a bomb within the per-side limit by its pixel count', async () => {
    // Act: 12000×12000 = 144 MP, each side under 16384.
    const rejection = await reasonFor(pngBomb(12_000));
    // Assess
    expect(rejection.reason).toBe('LIMIT_EXCEEDED');
    expect(rejection.message).toMatch(/megapixels/);
  });

  it('rejects a JPEG whose frame header claims 60000×60000', async () => {
    expect((await reasonFor(fixtures.hugeSof as Buffer)).reason).toBe('LIMIT_EXCEEDED');
  });

  it('rejects input over the byte limit as TOO_LARGE before looking inside', async () => {
    // Act
    const rejection = await reasonFor(fixtures.jpeg as Buffer, { limits: { maxBytes: 100 } });
    // Assess
    expect(rejection.reason).toBe('TOO_LARGE');
  });

  it('applies per-deployment pixel limits', async () => {
    // Act: 320×240 = 76 800 px against a 50 000 px limit.
    const rejection = await reasonFor(fixtures.jpeg as Buffer, { limits: { maxPixels: 50_000 } });
    // Assess
    expect(rejection.reason).toBe('LIMIT_EXCEEDED');
  });

  it('rejects an animated GIF and a multi-page TIFF with more frames/pages than the default limit', async () => {
    // Act: 1 001 pages of 16×16, a few hundred KB at most; only the count is hostile.
    const gif = await reasonFor(fixtures.gif1001 as Buffer, { declaredType: 'image/gif' });
    const tiff = await reasonFor(fixtures.tiff1001 as Buffer, { declaredType: 'image/tiff' });
    // Assess
    for (const rejection of [gif, tiff]) {
      expect(rejection.reason).toBe('LIMIT_EXCEEDED');
      expect(rejection.message).toMatch(/1001 frames\/pages; the limit is 1000/);
    }
  });

  it.each(FFMPEG_BINARIES)(
    'refuses WAV headers claiming 64 channels or a 1 Hz, 2-hour recording from the probe ($name)',
    async (binary) => {
      // Prepare
      const restoreFfmpeg = useFfmpeg(binary);
      try {
        for (const run of [validateAndStrip, sanitizeAndNormalize]) {
          // Act
          const channels = await run(wavClaiming64Channels());
          const duration = await run(wavClaimingHugeDuration());
          // Assess: both paths stop at the header facts, with the same stable reason.
          expect(channels.ok ? null : channels.rejection).toMatchObject({
            reason: 'LIMIT_EXCEEDED',
            message: expect.stringMatching(/64 channels; the limit is 8/),
          });
          expect(duration.ok ? null : duration.rejection).toMatchObject({
            reason: 'LIMIT_EXCEEDED',
            message: expect.stringMatching(/8000\.0 s or more; the limit is 600 s/),
          });
        }
      } finally {
        restoreFfmpeg();
      }
    },
  );

  it('rejects audio longer than the duration limit', async () => {
    // Act
    const rejection = await reasonFor(fixtures.tone as Buffer, { limits: { maxAudioSeconds: 2 } });
    // Assess
    expect(rejection.reason).toBe('LIMIT_EXCEEDED');
    expect(rejection.message).toMatch(/limit is 2 s/);
  });

  it('rejects audio with more channels than allowed', async () => {
    // Act
    const rejection = await reasonFor(fixtures.tone as Buffer, { limits: { maxAudioChannels: 1 } });
    // Assess
    expect(rejection.reason).toBe('LIMIT_EXCEEDED');
    expect(rejection.message).toMatch(/channels/);
  });

  it('rejects an MP4 with a real video track as UNSUPPORTED_TYPE', async () => {
    // Act
    const rejection = await reasonFor(fixtures.video as Buffer, { declaredType: 'video/mp4' });
    // Assess
    expect(rejection.reason).toBe('UNSUPPORTED_TYPE');
    expect(rejection.message).toMatch(/video/);
  });

  it('rejects a FLAC whose frames are noise as CORRUPT', async () => {
    expect((await reasonFor(fixtures.corruptFlac as Buffer)).reason).toBe('CORRUPT');
  });

  it('rejects a WAV cut off before the length its header declares as CORRUPT', async () => {
    // Prepare
    const wav = fixtures.tone as Buffer;
    const truncated = wav.subarray(0, Math.floor(wav.length / 3));
    // Act
    const rejection = await reasonFor(truncated);
    // Assess
    expect(rejection.reason).toBe('CORRUPT');
  });

  it('accepts a streaming WAV whose header sizes are placeholders (espeak-ng writes almost 2 GB)', async () => {
    // Prepare: what `espeak-ng --stdout` writes: RIFF and data sizes of 0x7FFFF000 + n
    const wav = Buffer.from(fixtures.tone as Buffer);
    wav.writeUInt32LE(0x7ffff024, 4);
    const dataAt = wav.indexOf('data', 12, 'latin1');
    wav.writeUInt32LE(0x7ffff000, dataAt + 4);
    // Act
    const result = await validateAndStrip(wav, { declaredType: 'audio/wav' });
    // Assess
    expect(result.ok).toBe(true);
  });
});
