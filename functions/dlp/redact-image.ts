import sharp, { type FormatEnum, type OverlayOptions } from 'sharp';
import type { PixelBox } from '../ports.js';

const OUTPUT_FORMATS: Readonly<Record<string, { format: keyof FormatEnum; mime: string }>> = {
  jpeg: { format: 'jpeg', mime: 'image/jpeg' },
  png: { format: 'png', mime: 'image/png' },
  webp: { format: 'webp', mime: 'image/webp' },
  gif: { format: 'gif', mime: 'image/gif' },
  tiff: { format: 'tiff', mime: 'image/tiff' },
};

/**
 * How far a box is grown on every side, relative to the glyph height. OCR boxes hug the ink, and on a
 * downscaled copy a box mapped back from the upscaled image can be a pixel short: 15 % of the height left
 * a sliver of a first digit readable on a 1024 px page. A quarter of the height covers anti-aliased
 * edges, a misplaced box edge and half a character cell, and still stays clear of the next line at the
 * usual 1.2× line spacing and more.
 */
export function redactionMargin(box: PixelBox): number {
  return Math.max(3, Math.ceil(box.height * 0.25));
}

/**
 * Paints opaque black boxes over `boxes` (each grown by `redactionMargin`) and re-encodes in the input's format; formats sharp
 * cannot write come back as PNG. Metadata is not carried over (sharp drops it unless told to keep it).
 */
export async function redactImage(
  bytes: Buffer,
  boxes: readonly PixelBox[],
): Promise<{ bytes: Buffer; mime: string }> {
  const image = sharp(bytes);
  const meta = await image.metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const output = OUTPUT_FORMATS[meta.format ?? ''] ?? { format: 'png', mime: 'image/png' };
  const overlays: OverlayOptions[] = [];
  for (const box of boxes) {
    const margin = redactionMargin(box);
    const left = Math.max(0, Math.floor(box.left - margin));
    const top = Math.max(0, Math.floor(box.top - margin));
    const right = Math.min(width, Math.ceil(box.left + box.width + margin));
    const bottom = Math.min(height, Math.ceil(box.top + box.height + margin));
    if (right <= left || bottom <= top) continue;
    overlays.push({
      input: { create: { width: right - left, height: bottom - top, channels: 4, background: '#000000ff' } },
      left,
      top,
    });
  }
  const out = await image.composite(overlays).toFormat(output.format).toBuffer();
  return { bytes: out, mime: output.mime };
}
