import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { redactImage } from '../../../functions/dlp/redact-image.js';

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
