import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { redactImage, redactionMargin } from '../../../functions/dlp/redact-image.js';

async function whiteImage(format: 'png' | 'jpeg' | 'webp'): Promise<Buffer> {
  return sharp({ create: { width: 200, height: 100, channels: 3, background: '#ffffff' } })
    .toFormat(format)
    .toBuffer();
}

async function pixel(bytes: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + 3)];
}

describe('image redaction', () => {
  it.each(['png', 'jpeg', 'webp'] as const)('paints boxes black and keeps the %s format', async (format) => {
    // Prepare
    const input = await whiteImage(format);
    // Act
    const out = await redactImage(input, [{ left: 20, top: 30, width: 60, height: 20 }]);
    // Assess
    expect((await sharp(out.bytes).metadata()).format).toBe(format);
    expect(out.mime).toBe(`image/${format}`);
    for (const c of await pixel(out.bytes, 50, 40)) expect(c).toBeLessThan(20);
    for (const c of await pixel(out.bytes, 150, 80)) expect(c).toBeGreaterThan(235);
  });

  it('grows each box by a margin and clips boxes at the image edge', async () => {
    // Prepare
    const input = await whiteImage('png');
    // Act
    const out = await redactImage(input, [{ left: 180, top: 90, width: 50, height: 30 }]);
    // Assess
    expect(await pixel(out.bytes, 199, 99)).toEqual([0, 0, 0]);
    expect(await pixel(out.bytes, 177, 88)).toEqual([0, 0, 0]);
    expect((await sharp(out.bytes).metadata()).width).toBe(200);
  });
});

describe('redaction margin', () => {
  it('grows a box by a quarter of the glyph height, and by at least 3 px for tiny text', () => {
    expect(redactionMargin({ left: 0, top: 0, width: 100, height: 40 })).toBe(10);
    expect(redactionMargin({ left: 0, top: 0, width: 30, height: 6 })).toBe(3);
  });

  it('covers the pixels just outside a box that hugs the ink (the first digit of a value)', async () => {
    // Prepare
    const input = await whiteImage('png');
    // Act
    const out = await redactImage(input, [{ left: 40, top: 40, width: 80, height: 20 }]);
    // Assess: 5 px of margin each side
    expect(await pixel(out.bytes, 35, 35)).toEqual([0, 0, 0]);
    expect(await pixel(out.bytes, 124, 64)).toEqual([0, 0, 0]);
    for (const c of await pixel(out.bytes, 33, 50)) expect(c).toBeGreaterThan(235);
  });
});
