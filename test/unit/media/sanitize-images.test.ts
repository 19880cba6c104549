import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeMedia } from '../../../functions/media/normalize.js';
import { validateAndStrip } from '../../../functions/media/sanitize.js';
import { imageTokens } from '../../../functions/model/image-tokens.js';
import { runExiftool } from '../../../scripts/fixture-tools.js';
import {
  animatedGif,
  avifWithMetadata,
  jpegWithEverything,
  jpegWithMakerNotes,
  jpegZipPolyglot,
  pngWithAlpha,
  pngWithText,
  tiffWithGps,
  webpWithMetadata,
} from '../../../scripts/make-fixtures.js';
import { EXTENSION_FOR_MIME, exiftoolRead, metadataLeaks } from '../../fixtures/exiftool.js';

type Accepted = Extract<Awaited<ReturnType<typeof validateAndStrip>>, { ok: true }>;

async function accepted(input: Buffer, declaredType?: string): Promise<Accepted> {
  const outcome = await validateAndStrip(input, { declaredType });
  if (!outcome.ok)
    throw new Error(`expected acceptance, got ${outcome.rejection.reason}: ${outcome.rejection.message}`);
  return outcome;
}

function leaksOf(outcome: Accepted): string[] {
  return metadataLeaks(outcome.bytes, EXTENSION_FOR_MIME[outcome.outputType] ?? 'bin');
}

describe('validateAndStrip on images', () => {
  const fixtures: Record<string, Buffer> = {};

  beforeAll(async () => {
    fixtures.jpeg = await jpegWithEverything();
    fixtures.png = await pngWithText();
    fixtures.alpha = await pngWithAlpha();
    fixtures.webp = await webpWithMetadata();
    fixtures.gif = animatedGif(3);
    fixtures.tiff = await tiffWithGps();
    fixtures.avif = await avifWithMetadata();
    fixtures.polyglot = await jpegZipPolyglot();
    fixtures.makerNotes = await jpegWithMakerNotes();
  });

  it('the JPEG fixture really carries GPS, serials, owner, XMP, IPTC, a thumbnail and a P3 profile', () => {
    // Prepare
    const tags = exiftoolRead(fixtures.jpeg as Buffer, 'jpg');
    // Act
    const groups = new Set(Object.keys(tags).map((key) => key.split(':')[0]));
    // Assess
    for (const group of ['GPS', 'ExifIFD', 'IFD0', 'IFD1', 'XMP-dc', 'IPTC', 'ICC-header'])
      expect(groups).toContain(group);
    expect(tags['ExifIFD:SerialNumber']).toBe('SN-4471-0099');
  });

  it('removes every metadata block from a phone JPEG and reports the tag names, not their values', async () => {
    // Act
    const outcome = await accepted(fixtures.jpeg as Buffer, 'image/jpeg');
    // Assess
    expect(outcome.outputType).toBe('image/jpeg');
    expect(leaksOf(outcome)).toEqual([]);
    for (const name of ['EXIF:GPSLatitude', 'EXIF:SerialNumber', 'EXIF:OwnerName', 'EXIF:ThumbnailImage']) {
      expect(outcome.removed).toContain(name);
    }
    for (const name of ['XMP', 'IPTC', 'ICC_Profile', 'JPEG:Comment', 'EXIF:Orientation']) {
      expect(outcome.removed).toContain(name);
    }
    expect(JSON.stringify(outcome.removed)).not.toMatch(/Jane|SN-4471|Example Street|51\.5/);
  });

  it('bakes EXIF orientation 6 into the pixels so the image arrives upright', async () => {
    // Act
    const outcome = await accepted(fixtures.jpeg as Buffer);
    // Assess: stored 640×480 sideways, displayed 480×640; the sun (top right when stored) is now lower right.
    expect([outcome.width, outcome.height]).toEqual([480, 640]);
    const { data, info } = await sharp(outcome.bytes).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) =>
      data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3);
    const sun = at(359, 480);
    expect(sun[0]).toBeGreaterThan(230);
    expect(sun[2]).toBeLessThan(200);
  });

  it('converts a Display P3 profile to sRGB pixels instead of dropping it or carrying it', async () => {
    // Prepare: a red whose P3 encoding differs from its sRGB one.
    const p3 = await sharp({
      create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 30, b: 30 } },
    })
      .jpeg({ quality: 100 })
      .withIccProfile('p3')
      .toBuffer();
    const profileDropped = runExiftool(['-q', '-q', '-all=', '-o', '-', '-'], p3);
    const naive = await sharp(profileDropped).raw().toBuffer();
    // Act
    const outcome = await accepted(p3);
    // Assess
    const pixel = await sharp(outcome.bytes).raw().toBuffer();
    expect(Math.abs((pixel[0] ?? 0) - 200)).toBeLessThanOrEqual(4);
    expect(Math.abs((pixel[1] ?? 0) - 30)).toBeLessThanOrEqual(4);
    expect(Math.abs((naive[1] ?? 0) - 30)).toBeGreaterThan(10);
    expect((await sharp(outcome.bytes).metadata()).icc).toBeUndefined();
    expect(outcome.removed).toContain('ICC_Profile');
  });

  it('removes PNG text chunks, eXIf and XMP from a PNG and keeps it lossless', async () => {
    // Act
    const outcome = await accepted(fixtures.png as Buffer, 'image/png');
    // Assess
    expect(outcome.outputType).toBe('image/png');
    expect(leaksOf(outcome)).toEqual([]);
    expect(outcome.removed).toEqual(expect.arrayContaining(['PNG:Text', 'XMP', 'EXIF:GPSLatitude']));
  });

  it('keeps transparency of a PNG cut-out', async () => {
    // Act
    const outcome = await accepted(fixtures.alpha as Buffer);
    // Assess
    const meta = await sharp(outcome.bytes).metadata();
    expect(meta.hasAlpha).toBe(true);
    expect(leaksOf(outcome)).toEqual([]);
  });

  it('removes EXIF and XMP from a WebP and keeps it WebP', async () => {
    // Act
    const outcome = await accepted(fixtures.webp as Buffer, 'image/webp');
    // Assess
    expect(outcome.outputType).toBe('image/webp');
    expect(leaksOf(outcome)).toEqual([]);
    expect(outcome.removed).toEqual(expect.arrayContaining(['EXIF:GPSLatitude', 'EXIF:SerialNumber', 'XMP']));
  });

  it('takes only the first frame of an animated GIF and drops its comment', async () => {
    // Act
    const outcome = await accepted(fixtures.gif as Buffer, 'image/gif');
    // Assess
    expect(outcome.outputType).toBe('image/png');
    const meta = await sharp(outcome.bytes).metadata();
    expect(meta.pages ?? 1).toBe(1);
    expect([outcome.width, outcome.height]).toEqual([96, 64]);
    expect(outcome.removed).toContain('GIF:Comment');
    expect(leaksOf(outcome)).toEqual([]);
  });

  it('turns a TIFF with GPS and camera tags into a clean PNG', async () => {
    // Act
    const outcome = await accepted(fixtures.tiff as Buffer, 'image/tiff');
    // Assess
    expect(outcome.outputType).toBe('image/png');
    expect(leaksOf(outcome)).toEqual([]);
    expect(outcome.removed).toEqual(expect.arrayContaining(['EXIF:GPSLatitude', 'EXIF:SerialNumber', 'XMP']));
  });

  it('turns an AVIF with EXIF and XMP into a clean JPEG', async () => {
    // Act
    const outcome = await accepted(fixtures.avif as Buffer, 'image/avif');
    // Assess
    expect(outcome.outputType).toBe('image/jpeg');
    expect(leaksOf(outcome)).toEqual([]);
    expect(outcome.removed).toEqual(expect.arrayContaining(['EXIF:GPSLatitude', 'XMP']));
  });

  it('removes Canon MakerNotes (owner name, body serial) that exiftool reads from a camera JPEG', async () => {
    // Prepare: the fixture really carries them.
    const before = exiftoolRead(fixtures.makerNotes as Buffer, 'jpg');
    expect(before['Canon:OwnerName']).toBe('Jane Example');
    expect(before['Canon:SerialNumber']).toBeDefined();
    // Act
    const outcome = await accepted(fixtures.makerNotes as Buffer, 'image/jpeg');
    // Assess
    expect(outcome.removed).toEqual(expect.arrayContaining(['EXIF:MakerNote', 'EXIF:Make', 'EXIF:Model']));
    expect(leaksOf(outcome)).toEqual([]);
    expect(outcome.bytes.includes(Buffer.from('Jane Example'))).toBe(false);
  });

  it('drops the ZIP appended to a JPEG/ZIP polyglot and says so', async () => {
    // Act
    const outcome = await accepted(fixtures.polyglot as Buffer, 'image/jpeg');
    // Assess
    expect(outcome.removed).toContain('TrailingData');
    expect(outcome.bytes.includes(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false);
    expect(leaksOf(outcome)).toEqual([]);
  });

  it('bounds the clean copy to the 1024 px the model is sent, and reports the size of the upload itself', async () => {
    // Prepare: a 12 MP photo-sized JPEG
    const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#5a8' } })
      .jpeg()
      .toBuffer();

    // Act
    const outcome = await accepted(photo, 'image/jpeg');
    const copy = await sharp(outcome.bytes).metadata();

    // Assess
    expect([copy.width, copy.height]).toEqual([1024, 768]);
    expect([outcome.sourceWidth, outcome.sourceHeight]).toEqual([4000, 3000]);
  });

  it('reports image tokens before normalisation from the upload, not from the bounded copy', async () => {
    // Prepare: a panorama whose bounded copy (1024×256) would cost fewer tiles than the upload itself
    const panorama = await sharp({ create: { width: 4000, height: 1000, channels: 3, background: '#58a' } })
      .jpeg()
      .toBuffer();
    const clean = await accepted(panorama, 'image/jpeg');

    // Act
    const normalized = await normalizeMedia(clean.bytes, 'image', clean.outputType, {
      sourceSize: { width: clean.sourceWidth ?? 0, height: clean.sourceHeight ?? 0 },
    });

    // Assess
    if (!normalized.ok) throw new Error(normalized.rejection.reason);
    expect(normalized.imageTokens?.before).toBe(
      imageTokens({ width: 4000, height: 1000, detail: 'high', model: 'gpt-4o' }),
    );
    expect(normalized.imageTokens?.before).toBeGreaterThan(
      imageTokens({ width: 1024, height: 256, detail: 'high', model: 'gpt-4o' }),
    );
  });

  it('never enlarges a small image', async () => {
    const small = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#a85' } })
      .png()
      .toBuffer();
    const copy = await sharp((await accepted(small, 'image/png')).bytes).metadata();
    expect([copy.width, copy.height]).toEqual([640, 480]);
  });
});
