/**
 * Image side of validation: header-only checks against the limits, the names of the metadata present,
 * and a sharp pipeline that keeps none of it. Nothing here decodes pixels before the header checks pass.
 */
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import sharp from 'sharp';
import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import { gifMetadataBlocks, jpegMetadataSegments, pngMetadataChunks } from './containers.js';
import { exifTagNames } from './exif-names.js';
import type { MediaLimits } from './limits.js';
import type { ImageFormat } from './sniff.js';

/** sharp's format names for what we accept; a mismatch with our sniff means a loader we did not choose. */
const SHARP_FORMAT: Readonly<Record<ImageFormat, string>> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tiff',
  avif: 'heif',
};

/**
 * Options for every sharp instance that reads untrusted bytes: libvips warnings (truncation, bad
 * checksums) are errors, a pixel ceiling bounds memory, and only the first frame/page is ever read.
 */
export function untrustedSharpOptions(limits: MediaLimits): SharpOptions {
  return { failOn: 'warning', limitInputPixels: limits.maxPixels, pages: 1, page: 0 };
}

export interface ImageInspection {
  /** Size as displayed, i.e. after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  readonly hasAlpha: boolean;
  readonly removed: string[];
}

export type InspectOutcome = { ok: true; inspection: ImageInspection } | { ok: false; rejection: Rejection };

/** Reads only the header (sharp `metadata()`), checks the limits and lists the metadata present. */
export async function inspectImage(
  input: Buffer,
  format: ImageFormat,
  limits: MediaLimits,
): Promise<InspectOutcome> {
  let meta: Metadata;
  try {
    // metadata() parses headers only; `limitInputPixels: false` so an oversized header is reported by us.
    meta = await sharp(input, { failOn: 'warning', limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, rejection: reject('CORRUPT', 'the image header is truncated or corrupt') };
  }
  if (meta.format !== SHARP_FORMAT[format]) {
    return { ok: false, rejection: reject('CORRUPT', 'the image structure does not match its signature') };
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) {
    return { ok: false, rejection: reject('CORRUPT', 'the image header declares no size') };
  }
  if (width > limits.maxWidthOrHeight || height > limits.maxWidthOrHeight) {
    return {
      ok: false,
      rejection: reject(
        'LIMIT_EXCEEDED',
        `the image is ${width}×${height} px; the limit is ${limits.maxWidthOrHeight} px per side`,
      ),
    };
  }
  if (width * height > limits.maxPixels) {
    const mp = (width * height) / 1e6;
    return {
      ok: false,
      rejection: reject(
        'LIMIT_EXCEEDED',
        `the image has ${mp.toFixed(1)} megapixels; the limit is ${(limits.maxPixels / 1e6).toFixed(1)}`,
      ),
    };
  }
  if ((meta.pages ?? 1) > limits.maxFrames) {
    return {
      ok: false,
      rejection: reject(
        'LIMIT_EXCEEDED',
        `the image has ${meta.pages} frames/pages; the limit is ${limits.maxFrames}`,
      ),
    };
  }
  const swapped = (meta.orientation ?? 1) >= 5;
  return {
    ok: true,
    inspection: {
      width: swapped ? height : width,
      height: swapped ? width : height,
      hasAlpha: meta.hasAlpha ?? false,
      removed: metadataNames(input, format, meta),
    },
  };
}

function metadataNames(input: Buffer, format: ImageFormat, meta: Metadata): string[] {
  const names = new Set<string>();
  if (format === 'jpeg') for (const name of jpegMetadataSegments(input)) names.add(name);
  if (format === 'png') for (const name of pngMetadataChunks(input)) names.add(name);
  if (format === 'gif') for (const name of gifMetadataBlocks(input)) names.add(name);
  if (meta.exif) {
    names.delete('EXIF');
    for (const name of exifTagNames(meta.exif)) names.add(name);
  }
  if (format === 'tiff') {
    // A TIFF's own IFD carries the camera and GPS tags; report the ones with a name, not the structure.
    for (const name of exifTagNames(input, { namedOnly: true })) {
      if (name !== 'EXIF' && !TIFF_STRUCTURE_TAGS.has(name)) names.add(name);
    }
  }
  if (meta.icc) names.add('ICC_Profile');
  if (meta.xmp) names.add('XMP');
  if (meta.iptc) names.add('IPTC');
  if (meta.tifftagPhotoshop) names.add('Photoshop');
  if (meta.comments && meta.comments.length > 0) names.add('PNG:Text');
  return [...names].sort();
}

const TIFF_STRUCTURE_TAGS = new Set([
  'EXIF:XResolution',
  'EXIF:YResolution',
  'EXIF:ResolutionUnit',
  'EXIF:Compression',
  'EXIF:YCbCrPositioning',
]);

export interface EncodedImage {
  readonly bytes: Buffer;
  readonly mime: string;
  readonly width: number;
  readonly height: number;
}

/**
 * The pipeline every untrusted image goes through: orientation baked into the pixels first, colour
 * converted to sRGB from any embedded profile, and no metadata written (sharp keeps none unless told to;
 * we never tell it to). The output is untagged sRGB.
 */
export function untrustedImagePipeline(input: Buffer, limits: MediaLimits): Sharp {
  return sharp(input, untrustedSharpOptions(limits)).autoOrient().toColourspace('srgb');
}

/** Longest side of what the model is sent (Preprocess's bound for `high` detail). */
export const MODEL_IMAGE_MAX_SIDE = 1024;

/**
 * Longest side of the clean copy: what Preprocess may keep at most. Nothing downstream can use more (the
 * model gets ≤ 1024 px; DLP reads the model-ready file), and bounding the copy here lets sharp shrink a
 * large JPEG while decoding it, so the strip step does not decode, and Preprocess does not decode again,
 * pixels nobody will see. The original's size travels in the document for the token report.
 */
export const CLEAN_COPY_MAX_SIDE = MODEL_IMAGE_MAX_SIDE;

/**
 * The clean copy, at most `CLEAN_COPY_MAX_SIDE` on its longest side (never enlarged). Lossy sources stay
 * lossy (JPEG→JPEG, WebP→WebP, AVIF→JPEG) at a quality that hides the generation loss; lossless sources
 * (PNG, GIF's first frame, TIFF) become PNG. AVIF and TIFF are not written back: fewer encoders means
 * fewer places for metadata to hide.
 */
export async function encodeCleanImage(
  input: Buffer,
  format: ImageFormat,
  hasAlpha: boolean,
  limits: MediaLimits,
): Promise<EncodedImage> {
  const pipeline = untrustedImagePipeline(input, limits).resize({
    width: CLEAN_COPY_MAX_SIDE,
    height: CLEAN_COPY_MAX_SIDE,
    fit: 'inside',
    withoutEnlargement: true,
  });
  let mime: string;
  if (format === 'jpeg' || (format === 'avif' && !hasAlpha)) {
    // Huffman optimisation buffers every coefficient of the image (420 MB for 50 MP instead of ~100 MB).
    pipeline.jpeg({ quality: 92, optimiseCoding: false });
    mime = 'image/jpeg';
  } else if (format === 'webp') {
    pipeline.webp({ quality: 92 });
    mime = 'image/webp';
  } else {
    pipeline.png();
    mime = 'image/png';
  }
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { bytes: data, mime, width: info.width, height: info.height };
}

/** libvips loader classes for the formats we accept (each name covers its file/buffer/source variants). */
const ALLOWED_LOADERS = [
  'VipsForeignLoadJpeg',
  'VipsForeignLoadPng',
  'VipsForeignLoadWebp',
  'VipsForeignLoadNsgif',
  'VipsForeignLoadGif',
  'VipsForeignLoadTiff',
  'VipsForeignLoadHeif',
];

/**
 * Blocks every libvips loader except the allowlisted formats' (SVG, PDF, FITS, Matrix, VIPS, PPM…),
 * process-wide. Call it at cold start of processes that only sanitise (the ValidateAndStrip Lambda, the
 * sanitize CLI). It is not called on import because other steps in a shared process render SVG
 * overlays of their own; inside validateAndStrip the sniffed format is checked against sharp's anyway.
 */
export function restrictSharpLoaders(): void {
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ALLOWED_LOADERS });
}
