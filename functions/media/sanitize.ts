/**
 * ValidateAndStrip's domain: decide what the bytes are, refuse what we do not take (with a stable reason),
 * and re-encode what we do take so that no metadata survives. Header checks run before any full decode.
 */

import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import {
  BITEXACT_ARGS,
  checkAudioProbe,
  durationRejection,
  fixWavSizes,
  inputArgs,
  isFfmpegFailure,
  isTruncated,
  pcmBoundArgs,
  probeAudio,
  STRIP_ARGS,
  wavInfo,
  withContainerNames,
  withTempInput,
} from './audio.js';
import { spawnFfmpeg } from './ffmpeg.js';
import { CLEAN_COPY_MAX_SIDE, encodeCleanImage, inspectImage } from './image.js';
import type { MediaLimits } from './limits.js';
import { resolveMediaLimits } from './limits.js';
import type { TextLayerLine } from './pdf.js';
import { type RasterisePlan, rasterise, rasterPipeline } from './rasterise.js';
import type { AudioFormat, ImageFormat, RasterisedFormat } from './sniff.js';
import { admitUpload } from './sniff.js';

export interface SanitizeOptions {
  declaredType?: string;
  limits?: Partial<MediaLimits>;
  /** Wall-clock cap for each ffmpeg run. @default 60 000 ms */
  ffmpegTimeoutMs?: number;
  /** How PDF pages are sized: the model and detail the item's task will use. */
  render?: RasterisePlan;
  /** Rasterised formats the tenant's policy takes. @default both */
  accept?: { readonly pdf: boolean; readonly heic: boolean };
}

/** One page of a document, as a clean image. */
export interface CleanPage {
  readonly bytes: Buffer;
  readonly mime: string;
  readonly width: number;
  readonly height: number;
  /** The page's own text layer, for DLP (PII there is as real as in the pixels); empty for scans. */
  readonly text: string;
  readonly lines: readonly TextLayerLine[];
}

export type SanitizeOutcome =
  | {
      ok: true;
      kind: 'image' | 'audio';
      inputType: string;
      outputType: string;
      bytes: Buffer;
      removed: string[];
      /** Of the clean copy (images: at most CLEAN_COPY_MAX_SIDE on the longest side). */
      width?: number;
      height?: number;
      /** Of the upload as displayed (after EXIF orientation), before the copy was bounded. */
      sourceWidth?: number;
      sourceHeight?: number;
      durationSec?: number;
      /** Documents (PDF): every page, the first of which is also `bytes`/`width`/`height`. */
      pages?: readonly CleanPage[];
    }
  | { ok: false; rejection: Rejection; inputType?: string };

const DEFAULT_FFMPEG_TIMEOUT_MS = 60_000;

export async function validateAndStrip(
  input: Buffer,
  options: SanitizeOptions = {},
): Promise<SanitizeOutcome> {
  const limits = resolveMediaLimits(options.limits);
  const sniffed = await admitUpload(input, limits, options.declaredType);
  if (!sniffed.ok) return sniffed;
  const { accepted } = sniffed;
  if (accepted.format === 'pdf' || accepted.format === 'heic') {
    if (options.accept && !options.accept[accepted.format]) {
      const what = accepted.format === 'pdf' ? 'PDF documents' : 'HEIC/HEIF photos';
      return {
        ok: false,
        inputType: accepted.mime,
        rejection: reject('UNSUPPORTED_TYPE', `this tenant's policy does not accept ${what}`),
      };
    }
    return stripRasterised(input, accepted.format, accepted.mime, limits, options.render);
  }
  if (accepted.kind === 'image') {
    return stripImage(input, accepted.format as ImageFormat, accepted.mime, limits);
  }
  return stripAudio(
    input,
    accepted.format as AudioFormat,
    accepted.mime,
    limits,
    options.ffmpegTimeoutMs ?? DEFAULT_FFMPEG_TIMEOUT_MS,
  );
}

async function stripImage(
  input: Buffer,
  format: ImageFormat,
  inputType: string,
  limits: MediaLimits,
): Promise<SanitizeOutcome> {
  const inspected = await inspectImage(input, format, limits);
  if (!inspected.ok) return { ok: false, rejection: inspected.rejection, inputType };
  try {
    const clean = await encodeCleanImage(input, format, inspected.inspection.hasAlpha, limits);
    return {
      ok: true,
      kind: 'image',
      inputType,
      outputType: clean.mime,
      bytes: clean.bytes,
      removed: inspected.inspection.removed,
      width: clean.width,
      height: clean.height,
      sourceWidth: inspected.inspection.width,
      sourceHeight: inspected.inspection.height,
    };
  } catch {
    // The header was sound, so a decode failure is in the pixel data: truncation, bad checksums, garbage.
    return { ok: false, rejection: reject('CORRUPT', 'the image data is truncated or corrupt'), inputType };
  }
}

/**
 * PDF and HEIC: decoded to pixels (rasterise.ts) and written as images, so no byte of the original
 * container travels on. A HEIC becomes a JPEG like any photo (bounded to the clean copy's size); PDF
 * pages are rendered at their model size already and stay lossless (PNG), since they are mostly text.
 */
async function stripRasterised(
  input: Buffer,
  format: RasterisedFormat,
  inputType: string,
  limits: MediaLimits,
  plan: RasterisePlan | undefined,
): Promise<SanitizeOutcome> {
  const rasterised = await rasterise(input, format, limits, plan);
  if (!rasterised.ok) return { ok: false, rejection: rasterised.rejection, inputType };
  const pages: CleanPage[] = [];
  for (const raster of rasterised.pages) {
    const pipeline = rasterPipeline(raster).resize({
      width: CLEAN_COPY_MAX_SIDE,
      height: CLEAN_COPY_MAX_SIDE,
      fit: 'inside',
      withoutEnlargement: true,
    });
    const encoded = rasterised.paged
      ? { mime: 'image/png', out: pipeline.png() }
      : { mime: 'image/jpeg', out: pipeline.jpeg({ quality: 92, optimiseCoding: false }) };
    const { data, info } = await encoded.out.toBuffer({ resolveWithObject: true });
    pages.push({
      bytes: data,
      mime: encoded.mime,
      width: info.width,
      height: info.height,
      text: raster.text ?? '',
      lines: raster.lines ?? [],
    });
  }
  const first = pages[0] as CleanPage;
  const source = rasterised.pages[0] as { width: number; height: number };
  return {
    ok: true,
    kind: 'image',
    inputType,
    outputType: first.mime,
    bytes: first.bytes,
    removed: rasterised.removed,
    width: first.width,
    height: first.height,
    sourceWidth: source.width,
    sourceHeight: source.height,
    ...(rasterised.paged ? { pages } : {}),
  };
}

async function stripAudio(
  input: Buffer,
  format: AudioFormat,
  inputType: string,
  limits: MediaLimits,
  timeoutMs: number,
): Promise<SanitizeOutcome> {
  return withTempInput(input, format, async (path) => {
    const probe = await probeAudio(path, format, timeoutMs);
    const checked = checkAudioProbe(probe && withContainerNames(probe, input, format), limits);
    if (!checked.ok) return { ok: false, rejection: checked.rejection, inputType };
    const run = await spawnFfmpeg(
      [
        '-v',
        'error',
        // Stop at the first decode error instead of skipping it: damaged input is CORRUPT, not half a file.
        '-xerror',
        ...inputArgs(format, path),
        ...STRIP_ARGS,
        // Decoding stops just past the limit, so a header that under-reports its length cannot run long.
        '-t',
        String(limits.maxAudioSeconds + 1),
        ...pcmBoundArgs(checked.probe),
        '-c:a',
        'pcm_s16le',
        ...BITEXACT_ARGS,
        '-f',
        'wav',
        'pipe:1',
      ],
      { timeoutMs, maxStdoutBytes: maxPcmBytes(limits) },
    ).catch((error: unknown) => {
      if (isFfmpegFailure(error) && (error.timedOut || error.overflowed)) return null;
      throw error;
    });
    if (run === null) {
      return {
        ok: false,
        rejection: reject('LIMIT_EXCEEDED', 'decoding the audio took too long or produced too much'),
        inputType,
      };
    }
    const bytes = run.exitCode === 0 ? fixWavSizes(run.stdout) : Buffer.alloc(0);
    const info = wavInfo(bytes);
    if (run.exitCode !== 0 || run.stderr.trim() !== '' || info.durationSec === 0) {
      return { ok: false, rejection: reject('CORRUPT', 'the audio data is truncated or corrupt'), inputType };
    }
    if (isTruncated(format, checked.probe.durationSec, info.durationSec, limits)) {
      return {
        ok: false,
        rejection: reject('CORRUPT', 'the audio ends before its header says it does'),
        inputType,
      };
    }
    if (info.durationSec > limits.maxAudioSeconds) {
      return { ok: false, rejection: durationRejection(info.durationSec, limits), inputType };
    }
    return {
      ok: true,
      kind: 'audio',
      inputType,
      outputType: 'audio/wav',
      bytes,
      removed: checked.probe.removed,
      durationSec: info.durationSec,
    };
  });
}

/** The most PCM a file within the limits can decode to after `pcmBoundArgs` (48 kHz, stereo, 16-bit). */
function maxPcmBytes(limits: MediaLimits): number {
  return Math.ceil((limits.maxAudioSeconds + 1) * 48_000 * 2 * 2) + 4096;
}
