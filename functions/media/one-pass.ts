/**
 * Validate + strip + normalise in one decode, for callers that only need the model-ready output (the
 * `mediagate sanitize` CLI and the benchmark). The checks are exactly ValidateAndStrip's (same sniff,
 * same header limits, same metadata report); the saving is that the pixels are decoded once, at the
 * reduced size (libjpeg/libwebp shrink-on-load), instead of full-size clean copy + second decode.
 * The Lambda pipeline keeps two steps because the full-size clean copy is a stored artefact there.
 */
import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import {
  checkAudioProbe,
  durationRejection,
  isTruncated,
  probeAudio,
  withContainerNames,
  withTempInput,
} from './audio.js';
import { sha256Hex } from './content-hash.js';
import { inspectImage } from './image.js';
import type { MediaLimits } from './limits.js';
import { DEFAULT_MAX_OUTPUT_BYTES, resolveMediaLimits } from './limits.js';
import type { NormalizeOptions } from './normalize.js';
import { encodeAudioForModel, encodeWithinCap, planImage } from './normalize.js';
import { rasterise, rasterPipeline } from './rasterise.js';
import type { AudioFormat, ImageFormat, RasterisedFormat } from './sniff.js';
import { admitUpload } from './sniff.js';

export interface OnePassOptions extends NormalizeOptions {
  declaredType?: string;
}

export type OnePassOutcome =
  | {
      ok: true;
      kind: 'image' | 'audio';
      inputType: string;
      outputType: string;
      bytes: Buffer;
      sha256: string;
      removed: string[];
      width?: number;
      height?: number;
      durationSec?: number;
      imageTokens?: { before: number; after: number };
      /** Documents (PDF): every page, model-ready; the first is also the fields above. */
      pages?: readonly OnePassPage[];
    }
  | { ok: false; rejection: Rejection; inputType?: string };

export interface OnePassPage {
  readonly outputType: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly width: number;
  readonly height: number;
  readonly imageTokens: { readonly before: number; readonly after: number };
}

const DEFAULT_FFMPEG_TIMEOUT_MS = 120_000;

export async function sanitizeAndNormalize(
  input: Buffer,
  options: OnePassOptions = {},
): Promise<OnePassOutcome> {
  const limits = resolveMediaLimits(options.limits);
  const sniffed = await admitUpload(input, limits, options.declaredType);
  if (!sniffed.ok) return sniffed;
  const { accepted } = sniffed;
  const outcome =
    accepted.format === 'pdf' || accepted.format === 'heic'
      ? await rasterisedOnePass(input, accepted.format, limits, options)
      : accepted.kind === 'image'
        ? await imageOnePass(input, accepted.format as ImageFormat, limits, options)
        : await audioOnePass(input, accepted.format as AudioFormat, limits, options);
  if (!outcome.ok) return { ...outcome, inputType: accepted.mime };
  return {
    ...outcome,
    kind: accepted.kind === 'audio' ? 'audio' : 'image',
    inputType: accepted.mime,
    sha256: sha256Hex(outcome.bytes),
  };
}

type PartialOutcome =
  | {
      ok: true;
      outputType: string;
      bytes: Buffer;
      removed: string[];
      width?: number;
      height?: number;
      durationSec?: number;
      imageTokens?: { before: number; after: number };
      pages?: readonly OnePassPage[];
    }
  | { ok: false; rejection: Rejection };

/** PDF pages (rendered at their model size) and HEIC photos: pixels first, then the image path's encoder. */
async function rasterisedOnePass(
  input: Buffer,
  format: RasterisedFormat,
  limits: MediaLimits,
  options: OnePassOptions,
): Promise<PartialOutcome> {
  const rasterised = await rasterise(input, format, limits, options);
  if (!rasterised.ok) return rasterised;
  const pages: OnePassPage[] = [];
  for (const raster of rasterised.pages) {
    // Lossless and quick: this PNG only carries our own pixels to the encoder.
    const png = await rasterPipeline(raster).png({ compressionLevel: 1 }).toBuffer();
    const encoded = await encodeWithinCap(
      png,
      planImage(raster.width, raster.height, options),
      false,
      options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      { detail: options.detail ?? 'high', model: options.model ?? 'gpt-4o' },
      limits,
    );
    if (!encoded.ok) return encoded;
    pages.push({
      outputType: encoded.mime,
      bytes: encoded.bytes,
      sha256: sha256Hex(encoded.bytes),
      width: encoded.width ?? raster.width,
      height: encoded.height ?? raster.height,
      imageTokens: encoded.imageTokens ?? { before: 0, after: 0 },
    });
  }
  const first = pages[0] as OnePassPage;
  return {
    ok: true,
    outputType: first.outputType,
    bytes: first.bytes,
    removed: rasterised.removed,
    width: first.width,
    height: first.height,
    // What the model is billed for the document: every page's tokens.
    imageTokens: {
      before: pages.reduce((sum, page) => sum + page.imageTokens.before, 0),
      after: pages.reduce((sum, page) => sum + page.imageTokens.after, 0),
    },
    ...(rasterised.paged ? { pages } : {}),
  };
}

async function imageOnePass(
  input: Buffer,
  format: ImageFormat,
  limits: MediaLimits,
  options: OnePassOptions,
): Promise<PartialOutcome> {
  const inspected = await inspectImage(input, format, limits);
  if (!inspected.ok) return inspected;
  const { width, height, hasAlpha, removed } = inspected.inspection;
  const plan = planImage(width, height, options);
  try {
    const encoded = await encodeWithinCap(
      input,
      plan,
      hasAlpha,
      options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      { detail: options.detail ?? 'high', model: options.model ?? 'gpt-4o' },
      limits,
    );
    if (!encoded.ok) return encoded;
    const { mime, ...rest } = encoded;
    return { ...rest, outputType: mime, removed };
  } catch {
    return { ok: false, rejection: reject('CORRUPT', 'the image data is truncated or corrupt') };
  }
}

async function audioOnePass(
  input: Buffer,
  format: AudioFormat,
  limits: MediaLimits,
  options: OnePassOptions,
): Promise<PartialOutcome> {
  const timeoutMs = options.ffmpegTimeoutMs ?? DEFAULT_FFMPEG_TIMEOUT_MS;
  return withTempInput(input, format, async (path): Promise<PartialOutcome> => {
    const probe = await probeAudio(path, format, timeoutMs);
    const checked = checkAudioProbe(probe && withContainerNames(probe, input, format), limits);
    if (!checked.ok) return checked;
    const encoded = await encodeAudioForModel(path, format, {
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      timeoutMs,
      maxSeconds: limits.maxAudioSeconds,
    });
    if (!encoded.ok) return encoded;
    const durationSec = encoded.durationSec ?? 0;
    if (durationSec > limits.maxAudioSeconds)
      return { ok: false, rejection: durationRejection(durationSec, limits) };
    if (isTruncated(format, checked.probe.durationSec, durationSec, limits)) {
      return { ok: false, rejection: reject('CORRUPT', 'the audio ends before its header says it does') };
    }
    const { mime, ...rest } = encoded;
    return { ...rest, outputType: mime, removed: checked.probe.removed };
  });
}
