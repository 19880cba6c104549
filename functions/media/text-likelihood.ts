/**
 * Could this image hold legible text? A cheap, conservative look before OCR (tesseract.js offline,
 * Textract in AWS), which is the slowest and, in AWS, a billed part of DLP.
 *
 * Text is strokes: along any row or column through a line of glyphs, light and dark alternate again and
 * again. A smooth image (a plain background, a gradient, large shapes) steps from one area to the next at
 * most once. So the image is taken in grey at up to 1024 px, and every 32×32 patch counts its strong
 * alternations per row and column: if no patch alternates as text makes one, there is no text to read. Anything busier (a textured photo, noise, a
 * form) goes to OCR: the gate only ever skips images that are smooth everywhere.
 */
import sharp from 'sharp';

/** Largest side the check looks at: the model-ready copy is at most this size, so no stroke is lost to downscaling. */
const CHECK_SIDE_PX = 1024;
const PATCH_PX = 32;
/** A step between neighbours this large (0–255) is an edge; faint print on grey still makes ~30–40. */
const EDGE_STEP = 24;
/**
 * Light/dark alternations per row and column of a patch at which it may hold text. A boundary between
 * two areas steps one way only (0); a thin line is one flip where it crosses; glyph strokes flip again
 * and again along every row and column through them.
 */
const TEXT_ALTERNATIONS = 0.5;

export interface TextLikelihood {
  readonly mayContainText: boolean;
  /** The busiest patch's light/dark alternations per row and column (0 on a smooth image). */
  readonly busiestPatchAlternations: number;
}

/**
 * Strong steps along `length` pixels from `start`, `stride` apart, whose direction flips from the previous
 * strong step's. Plain loops over the raw buffer: this runs over every row and column of a 1024 px image on
 * the request path, where closures per pixel cost tens of milliseconds.
 */
function alternations(data: Uint8Array, start: number, stride: number, length: number): number {
  let count = 0;
  let lastSign = 0;
  let previous = data[start] ?? 0;
  for (let i = 1, at = start + stride; i < length; i++, at += stride) {
    const value = data[at] ?? 0;
    const step = value - previous;
    previous = value;
    if (step < EDGE_STEP && step > -EDGE_STEP) continue;
    const sign = step > 0 ? 1 : -1;
    if (lastSign !== 0 && sign !== lastSign) count++;
    lastSign = sign;
  }
  return count;
}

export async function textLikelihood(image: Buffer): Promise<TextLikelihood> {
  const { data, info } = await sharp(image, { failOn: 'none' })
    .greyscale()
    .resize({ width: CHECK_SIDE_PX, height: CHECK_SIDE_PX, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const rowStride = width * channels;
  let busiest = 0;
  for (let top = 0; top < height; top += PATCH_PX) {
    for (let left = 0; left < width; left += PATCH_PX) {
      const right = Math.min(left + PATCH_PX, width);
      const bottom = Math.min(top + PATCH_PX, height);
      let flips = 0;
      for (let y = top; y < bottom; y++)
        flips += alternations(pixels, y * rowStride + left * channels, channels, right - left);
      for (let x = left; x < right; x++)
        flips += alternations(pixels, top * rowStride + x * channels, rowStride, bottom - top);
      busiest = Math.max(busiest, flips / (right - left + (bottom - top)));
    }
  }
  return { mayContainText: busiest >= TEXT_ALTERNATIONS, busiestPatchAlternations: busiest };
}
