import { execFileSync, spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeMedia } from '../../../functions/media/normalize.js';
import { NPM_FFMPEG } from '../../../scripts/fixture-tools.js';
import { photoLikeImage, pngWithAlpha, toneWav } from '../../../scripts/make-fixtures.js';
import { EXTENSION_FOR_MIME, metadataLeaks } from '../../fixtures/exiftool.js';

type Normalized = Extract<Awaited<ReturnType<typeof normalizeMedia>>, { ok: true }>;

function expectOk(outcome: Awaited<ReturnType<typeof normalizeMedia>>): Normalized {
  if (!outcome.ok) throw new Error(`rejected: ${outcome.rejection.reason} ${outcome.rejection.message}`);
  return outcome;
}

/** Integrated loudness (LUFS) as ffmpeg's ebur128 filter measures it (the summary goes to stderr). */
function loudnessOf(wav: Buffer): number {
  const { stderr } = spawnSync(
    NPM_FFMPEG,
    ['-nostdin', '-hide_banner', '-i', 'pipe:0', '-af', 'ebur128', '-f', 'null', '-'],
    {
      input: wav,
      encoding: 'latin1',
    },
  );
  return Number(/Integrated loudness:\s+I:\s+(-?\d+(?:\.\d+)?) LUFS/.exec(stderr)?.[1]);
}

describe('normalizeMedia on images', () => {
  let photo: Buffer;
  let opaqueRgba: Buffer;
  let cutOut: Buffer;

  beforeAll(async () => {
    photo = await (await photoLikeImage(3000, 2000)).jpeg({ quality: 90 }).toBuffer();
    opaqueRgba = await (await photoLikeImage(800, 600)).ensureAlpha().png().toBuffer();
    cutOut = await pngWithAlpha();
  });

  it('downscales a 3000×2000 photo to 1024×683 JPEG and reports the tokens saved', async () => {
    // Act
    const outcome = expectOk(await normalizeMedia(photo, 'image', 'image/jpeg'));
    // Assess
    expect(outcome.mime).toBe('image/jpeg');
    expect([outcome.width, outcome.height]).toEqual([1024, 683]);
    const meta = await sharp(outcome.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 683]);
    expect(outcome.imageTokens).toEqual({ before: 1105, after: 765 });
    expect(metadataLeaks(outcome.bytes, 'jpg')).toEqual([]);
  });

  it('honours a smaller maxLongSide and the low-detail cap', async () => {
    // Act
    const small = expectOk(await normalizeMedia(photo, 'image', 'image/jpeg', { maxLongSide: 600 }));
    const low = expectOk(await normalizeMedia(photo, 'image', 'image/jpeg', { detail: 'low' }));
    // Assess
    expect(Math.max(small.width ?? 0, small.height ?? 0)).toBeLessThanOrEqual(600);
    expect([low.width, low.height]).toEqual([512, 341]);
    expect(low.imageTokens).toEqual({ before: 85, after: 85 });
  });

  it('keeps a transparent cut-out as PNG and never upscales it', async () => {
    // Act
    const outcome = expectOk(await normalizeMedia(cutOut, 'image', 'image/png'));
    // Assess
    expect(outcome.mime).toBe('image/png');
    expect([outcome.width, outcome.height]).toEqual([300, 200]);
    expect((await sharp(outcome.bytes).metadata()).hasAlpha).toBe(true);
    expect(metadataLeaks(outcome.bytes, 'png')).toEqual([]);
  });

  it('sends an RGBA PNG whose alpha is fully opaque as JPEG', async () => {
    // Act
    const outcome = expectOk(await normalizeMedia(opaqueRgba, 'image', 'image/png'));
    // Assess
    expect(outcome.mime).toBe('image/jpeg');
  });

  it('steps quality and then size down to fit the payload cap', async () => {
    // Prepare
    const full = expectOk(await normalizeMedia(photo, 'image', 'image/jpeg'));
    const cap = Math.floor(full.bytes.length / 3);
    // Act
    const capped = expectOk(await normalizeMedia(photo, 'image', 'image/jpeg', { maxOutputBytes: cap }));
    // Assess
    expect(capped.bytes.length).toBeLessThanOrEqual(cap);
    expect(capped.mime).toBe('image/jpeg');
  });

  it('gives up with TOO_LARGE when even the smallest step does not fit', async () => {
    // Act
    const outcome = await normalizeMedia(photo, 'image', 'image/jpeg', { maxOutputBytes: 200 });
    // Assess
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.rejection.reason).toBe('TOO_LARGE');
  });

  it('refuses bytes that are not the kind it was told', async () => {
    // Act
    const outcome = await normalizeMedia(photo, 'audio', 'audio/wav');
    // Assess
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.rejection.reason).toBe('TYPE_MISMATCH');
  });
});

describe('normalizeMedia on audio', () => {
  let quietStereo: Buffer;

  beforeAll(() => {
    // A 4 s stereo tone at 16 kHz, then made very quiet (−35 dB) at 44.1 kHz.
    const tone = toneWav(4, 2);
    quietStereo = execFileSync(
      NPM_FFMPEG,
      [
        '-nostdin',
        '-v',
        'error',
        '-i',
        'pipe:0',
        '-af',
        'volume=-35dB',
        '-ar',
        '44100',
        '-f',
        'wav',
        '-bitexact',
        'pipe:1',
      ],
      { input: tone },
    );
  });

  it('resamples to 16 kHz mono PCM WAV, normalises loudness and reports the duration', async () => {
    // Act
    const outcome = expectOk(await normalizeMedia(quietStereo, 'audio', 'audio/wav'));
    // Assess
    expect(outcome.mime).toBe('audio/wav');
    expect(outcome.durationSec).toBeCloseTo(4, 1);
    const channels = outcome.bytes.readUInt16LE(22);
    const rate = outcome.bytes.readUInt32LE(24);
    expect([channels, rate]).toEqual([1, 16000]);
    const before = loudnessOf(quietStereo);
    const after = loudnessOf(outcome.bytes);
    expect(before).toBeLessThan(-40);
    expect(after).toBeGreaterThan(-20);
    expect(after).toBeLessThan(-12);
    expect(metadataLeaks(outcome.bytes, EXTENSION_FOR_MIME[outcome.mime] ?? 'wav')).toEqual([]);
  });

  it('falls back to a bare MP3 when the WAV would exceed the payload cap', async () => {
    // Act: 4 s of 16 kHz mono WAV is 128 KB; the cap admits a 64 kb/s MP3 (32 KB).
    const outcome = expectOk(
      await normalizeMedia(quietStereo, 'audio', 'audio/wav', { maxOutputBytes: 60_000 }),
    );
    // Assess
    expect(outcome.mime).toBe('audio/mpeg');
    expect(outcome.bytes.length).toBeLessThanOrEqual(60_000);
    expect(metadataLeaks(outcome.bytes, 'mp3')).toEqual([]);
  });

  it('gives up with TOO_LARGE when even 32 kb/s MP3 does not fit', async () => {
    // Act
    const outcome = await normalizeMedia(quietStereo, 'audio', 'audio/wav', { maxOutputBytes: 1000 });
    // Assess
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.rejection.reason).toBe('TOO_LARGE');
  });
});
