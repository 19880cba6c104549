/**
 * Pre-processing for an OCR engine that reads best at about 300 dpi on flat, dark-on-white, level text
 * (tesseract): grayscale, the paper's colour and stains divided out, contrast stretched, skew removed and
 * the page upscaled. Every box the engine finds on the prepared image is mapped back to the input image
 * (`toInputBox`), because the input is what gets painted. The upscale is chosen from the height of the
 * text lines, measured with the skew. Time and memory stay bounded: the prepared image never exceeds
 * `MAX_PREPARED_PIXELS`, and the skew search runs on a copy of about 1000 px.
 */
import sharp from 'sharp';
import type { PixelBox } from '../ports.js';

/**
 * Height of a text line's ink (ascender to descender) that tesseract reads best: about what 10–12 pt
 * print is at 300 dpi (x-height 20–25 px). Larger is slower and loses word spaces ("4111 111111111111").
 */
const TARGET_LINE_PX = 40;
/** Upscaling more than this adds pixels, not detail. */
const MAX_UPSCALE = 3;
/** About a 300 dpi A4 page: bounds tesseract's time and the worker's memory. */
const MAX_PREPARED_PIXELS = 9_000_000;
/** Cell of the background estimate: larger than a glyph, smaller than a stain or a tinted field. */
const BACKGROUND_CELL = 24;
/** Skew beyond this is a rotated photo, not a scanner's tilt; the search does not look further. */
const MAX_SKEW_DEGREES = 6;

export interface PreparedImage {
  /** PNG, 8-bit grayscale. */
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  /** The skew that was removed, in degrees (positive: the page was turned clockwise). */
  readonly skewDegrees: number;
  /** Maps a box on the prepared image to the input image (the bounding box of its four corners). */
  toInputBox(box: PixelBox): PixelBox;
}

interface Gray {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * The paper under the ink: per cell, a bright percentile of its pixels (text covers far less than half
 * of a cell, so this is paper even on a text line), smoothed over neighbouring cells and interpolated.
 */
function backgroundLevel(gray: Gray): Float32Array {
  const cols = Math.ceil(gray.width / BACKGROUND_CELL);
  const rows = Math.ceil(gray.height / BACKGROUND_CELL);
  const cells = new Float32Array(cols * rows);
  const histogram = new Uint32Array(256);
  for (let cy = 0; cy < rows; cy++) {
    for (let cx = 0; cx < cols; cx++) {
      histogram.fill(0);
      let count = 0;
      for (let y = cy * BACKGROUND_CELL; y < Math.min(gray.height, (cy + 1) * BACKGROUND_CELL); y++) {
        for (let x = cx * BACKGROUND_CELL; x < Math.min(gray.width, (cx + 1) * BACKGROUND_CELL); x++) {
          histogram[gray.data[y * gray.width + x] ?? 0] =
            (histogram[gray.data[y * gray.width + x] ?? 0] ?? 0) + 1;
          count++;
        }
      }
      // The 80th percentile: above most ink, below the bright specks of scanner noise.
      let seen = 0;
      let level = 255;
      for (let v = 0; v < 256; v++) {
        seen += histogram[v] ?? 0;
        if (seen >= count * 0.8) {
          level = v;
          break;
        }
      }
      cells[cy * cols + cx] = level;
    }
  }
  const smoothed = new Float32Array(cells.length);
  for (let cy = 0; cy < rows; cy++) {
    for (let cx = 0; cx < cols; cx++) {
      // The brightest of the 3×3 neighbourhood: a cell filled by a bold heading is not paper.
      let best = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const y = cy + dy;
          const x = cx + dx;
          if (y >= 0 && y < rows && x >= 0 && x < cols) best = Math.max(best, cells[y * cols + x] ?? 0);
        }
      smoothed[cy * cols + cx] = best;
    }
  }
  const level = new Float32Array(gray.width * gray.height);
  for (let y = 0; y < gray.height; y++) {
    const fy = Math.min(rows - 1, Math.max(0, y / BACKGROUND_CELL - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(rows - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < gray.width; x++) {
      const fx = Math.min(cols - 1, Math.max(0, x / BACKGROUND_CELL - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(cols - 1, x0 + 1);
      const wx = fx - x0;
      const top = (smoothed[y0 * cols + x0] ?? 255) * (1 - wx) + (smoothed[y0 * cols + x1] ?? 255) * wx;
      const bottom = (smoothed[y1 * cols + x0] ?? 255) * (1 - wx) + (smoothed[y1 * cols + x1] ?? 255) * wx;
      level[y * gray.width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return level;
}

/**
 * Divides the paper out (coloured paper, stains and tinted fields all become white) and stretches what
 * is left so the faintest print that stands out from the paper becomes black: low-contrast scans too.
 */
function flattenAndStretch(gray: Gray): Uint8Array {
  const background = backgroundLevel(gray);
  const ratio = new Float32Array(gray.data.length);
  const histogram = new Uint32Array(256);
  for (let i = 0; i < gray.data.length; i++) {
    const r = Math.min(1, (gray.data[i] ?? 255) / Math.max(1, background[i] ?? 255));
    ratio[i] = r;
    histogram[Math.round(r * 255)] = (histogram[Math.round(r * 255)] ?? 0) + 1;
  }
  // The ink level is the dark core of the print: the darkest tenth of the pixels that are clearly
  // darker than paper. Near-black areas (a painted-out box, a logo) are left out, or a redacted page
  // would keep its faint print grey and the engine would read nothing on it.
  const inkFrom = Math.round(0.06 * 255);
  const inkTo = Math.round(0.9 * 255);
  let inkPixels = 0;
  for (let v = inkFrom; v < inkTo; v++) inkPixels += histogram[v] ?? 0;
  let seen = 0;
  let inkLevel = 0;
  for (let v = inkFrom; v < inkTo && inkPixels > 0; v++) {
    seen += histogram[v] ?? 0;
    if (seen >= inkPixels * 0.1) {
      inkLevel = Math.min(0.7, v / 255);
      break;
    }
  }
  const paperLevel = 0.92;
  const span = Math.max(0.08, paperLevel - inkLevel);
  const out = new Uint8Array(gray.data.length);
  for (let i = 0; i < ratio.length; i++) {
    out[i] = Math.max(0, Math.min(255, Math.round((((ratio[i] ?? 1) - inkLevel) / span) * 255)));
  }
  return out;
}

/**
 * Skew by projection profile: the angle at which the rows of dark pixels are most uneven (all ink on
 * few rows) is the angle of the text lines. A coarse search, then a fine one around the best angle.
 */
async function measureText(flat: Gray): Promise<{ skewDegrees: number; lineHeight?: number }> {
  const scale = Math.min(1, 1000 / Math.max(flat.width, flat.height));
  const { data, info } = await sharp(flat.data, {
    raw: { width: flat.width, height: flat.height, channels: 1 },
  })
    .resize(Math.max(1, Math.round(flat.width * scale)))
    // Raw single-channel input comes out as sRGB unless told otherwise.
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const xs: number[] = [];
  const ys: number[] = [];
  const dark = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < info.width && y < info.height && (data[y * info.width + x] ?? 255) < 128;
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++) {
      // Inside a solid dark area (a painted-out box, a logo) is no stroke: axis-aligned boxes on a
      // tilted page would vote for 0° and leave a redacted copy unlevelled.
      const solid = dark(x - 3, y) && dark(x + 3, y) && dark(x, y - 3) && dark(x, y + 3);
      if (dark(x, y) && !solid) {
        xs.push(x);
        ys.push(y);
      }
    }
  if (xs.length < 50) return { skewDegrees: 0 };
  const diagonal = Math.ceil(Math.hypot(info.width, info.height));
  const profile = new Float64Array(diagonal * 2 + 2);
  const sharpness = (degrees: number): number => {
    const radians = (degrees * Math.PI) / 180;
    const sin = Math.sin(radians);
    const cos = Math.cos(radians);
    profile.fill(0);
    for (let i = 0; i < xs.length; i++) {
      const row = Math.round((ys[i] ?? 0) * cos - (xs[i] ?? 0) * sin) + diagonal;
      profile[row] = (profile[row] ?? 0) + 1;
    }
    let sum = 0;
    for (const n of profile) sum += n * n;
    return sum;
  };
  const best = (from: number, to: number, step: number): number => {
    let bestAngle = 0;
    let bestScore = -1;
    for (let a = from; a <= to + 1e-9; a += step) {
      const score = sharpness(a);
      // Ties go to the smaller angle, so a page with no clear lines is left as it is.
      if (score > bestScore * 1.0001 || (score >= bestScore && Math.abs(a) < Math.abs(bestAngle))) {
        bestScore = score;
        bestAngle = a;
      }
    }
    return bestAngle;
  };
  const coarse = best(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES, 0.5);
  const skewDegrees = Math.round(best(coarse - 0.5, coarse + 0.5, 0.1) * 10) / 10;
  // Text lines are the runs of rows with ink in the levelled profile; rules (1–2 rows) and rows with
  // only specks (few points against the busiest rows) are not.
  sharpness(skewDegrees);
  const busiest = [...profile].sort((a, b) => b - a)[Math.floor(profile.length * 0.02)] ?? 0;
  const runs: number[] = [];
  let run = 0;
  for (const n of profile) {
    if (n >= Math.max(3, busiest * 0.15)) run++;
    else {
      if (run >= 3) runs.push(run);
      run = 0;
    }
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)];
  return median === undefined ? { skewDegrees } : { skewDegrees, lineHeight: median / scale };
}

export async function prepareForOcr(image: Buffer): Promise<PreparedImage> {
  const decoded = await sharp(image)
    .flatten({ background: '#ffffff' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const input: Gray = { data: decoded.data, width: decoded.info.width, height: decoded.info.height };
  const flat: Gray = { ...input, data: flattenAndStretch(input) };
  const { skewDegrees, lineHeight } = await measureText(flat);

  const rotated =
    skewDegrees === 0
      ? { data: Buffer.from(flat.data), info: { width: flat.width, height: flat.height } }
      : await sharp(flat.data, { raw: { width: flat.width, height: flat.height, channels: 1 } })
          .rotate(-skewDegrees, { background: '#ffffff' })
          .greyscale()
          .raw()
          .toBuffer({ resolveWithObject: true });
  const rw = rotated.info.width;
  const rh = rotated.info.height;
  // No text lines found (a photo): read at the size it came, which is also the cheapest.
  const scale = Math.min(
    Math.max(1, lineHeight === undefined ? 1 : TARGET_LINE_PX / lineHeight),
    MAX_UPSCALE,
    Math.sqrt(MAX_PREPARED_PIXELS / (rw * rh)),
  );
  const width = Math.max(1, Math.round(rw * scale));
  const height = Math.max(1, Math.round(rh * scale));
  const png = await sharp(rotated.data, { raw: { width: rw, height: rh, channels: 1 } })
    .resize(width, height, { kernel: 'cubic' })
    // Scanner specks survive the stretch as dots the engine takes for punctuation and splits words at
    // ("405- 1989"); a median over about a third of a stroke's width removes them and keeps the glyphs.
    .median(scale >= 2 ? 5 : 3)
    .greyscale()
    .png({ compressionLevel: 1 })
    .toBuffer();

  // Undo the scale, then turn back about the centres (sharp's rotation keeps the image centred).
  const radians = (skewDegrees * Math.PI) / 180;
  const sin = Math.sin(radians);
  const cos = Math.cos(radians);
  const toInput = (x: number, y: number): [number, number] => {
    const rx = x / (width / rw) - rw / 2;
    const ry = y / (height / rh) - rh / 2;
    return [rx * cos - ry * sin + input.width / 2, rx * sin + ry * cos + input.height / 2];
  };
  const toInputBox = (box: PixelBox): PixelBox => {
    const corners = [
      toInput(box.left, box.top),
      toInput(box.left + box.width, box.top),
      toInput(box.left, box.top + box.height),
      toInput(box.left + box.width, box.top + box.height),
    ];
    const left = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0]))));
    const top = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1]))));
    const right = Math.min(input.width, Math.ceil(Math.max(...corners.map((c) => c[0]))));
    const bottom = Math.min(input.height, Math.ceil(Math.max(...corners.map((c) => c[1]))));
    return { left, top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
  };
  return { png, width, height, skewDegrees, toInputBox };
}
