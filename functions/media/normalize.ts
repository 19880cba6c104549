/**
 * Preprocess's domain: turn a sanitised file into what the model needs and no more.
 * - Images: longest side ≤ 1024 px (never upscaled), untagged sRGB, dimensions chosen so no tile is bought
 *   for a sliver (token-fit.ts). JPEG q85 unless the image really is transparent, then PNG: a flattened
 *   cut-out loses the shape the user meant, while line art and scans survive q85 JPEG legibly (and OCR
 *   reads them) at a fraction of PNG's bytes.
 * - Audio: 16 kHz mono (what speech models resample to anyway), EBU R128 loudness normalisation, 16-bit
 *   PCM WAV; MP3 only when WAV would exceed the payload cap.
 * - Payload cap: quality is stepped down, then size, before giving up with TOO_LARGE.
 */
import sharp from 'sharp';
import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import type { ImageDetail } from '../ports.js';
import {
  BITEXACT_ARGS,
  fixWavSizes,
  inputArgs,
  isFfmpegFailure,
  STRIP_ARGS,
  wavInfo,
  withTempInput,
} from './audio.js';
import { spawnFfmpeg } from './ffmpeg.js';
import { MODEL_IMAGE_MAX_SIDE, untrustedImagePipeline, untrustedSharpOptions } from './image.js';
import type { MediaLimits } from './limits.js';
import { DEFAULT_MAX_OUTPUT_BYTES, resolveMediaLimits } from './limits.js';
import type { AudioFormat } from './sniff.js';
import { sniffMedia } from './sniff.js';
import { fitForTokens } from './token-fit.js';

export interface NormalizeOptions {
  /** @default 1024 */
  maxLongSide?: number;
  /**
   * Size of the upload itself (after orientation), when the input is the bounded clean copy: the
   * "before" of the token report is what the original would have cost.
   * @default the input's own size
   */
  sourceSize?: { readonly width: number; readonly height: number };
  /** @default 'high' (the dearer estimate, as `auto` is billed) */
  detail?: ImageDetail;
  /** Model whose image-token rates decide the dimensions. @default 'gpt-4o' */
  model?: string;
  /** Largest output the request may carry. @default DEFAULT_MAX_OUTPUT_BYTES (15 MB: 20 MB once base64) */
  maxOutputBytes?: number;
  /** Wall-clock cap for each ffmpeg run. @default 120 000 ms */
  ffmpegTimeoutMs?: number;
  /** The deployment's media limits (the pixel ceiling guards this decode too). @default DEFAULT_MEDIA_LIMITS */
  limits?: Partial<MediaLimits>;
}

export type NormalizeOutcome =
  | {
      ok: true;
      bytes: Buffer;
      mime: string;
      width?: number;
      height?: number;
      durationSec?: number;
      imageTokens?: { before: number; after: number };
    }
  | { ok: false; rejection: Rejection };

export const DEFAULT_MAX_LONG_SIDE = MODEL_IMAGE_MAX_SIDE;
const DEFAULT_FFMPEG_TIMEOUT_MS = 120_000;
const JPEG_QUALITIES = [85, 70, 55, 40] as const;
/** Below this long side a photo stops being worth sending; the cap must be absurdly small to get here. */
const MIN_LONG_SIDE = 256;

export async function normalizeMedia(
  input: Buffer,
  kind: 'image' | 'audio',
  mime: string,
  options: NormalizeOptions = {},
): Promise<NormalizeOutcome> {
  if (input.length === 0) return { ok: false, rejection: reject('EMPTY', 'the file is empty') };
  // The bytes were sanitised upstream, but this step trusts nothing it did not check itself.
  const sniffed = await sniffMedia(input, mime);
  if (!sniffed.ok) return { ok: false, rejection: sniffed.rejection };
  if (sniffed.accepted.kind !== kind) {
    return {
      ok: false,
      rejection: reject('TYPE_MISMATCH', `expected ${kind} but the bytes are ${sniffed.accepted.mime}`),
    };
  }
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (kind === 'image') return normalizeImage(input, options, maxOutputBytes);
  return normalizeAudio(
    input,
    sniffed.accepted.format as AudioFormat,
    maxOutputBytes,
    options.ffmpegTimeoutMs ?? DEFAULT_FFMPEG_TIMEOUT_MS,
  );
}

export interface ImagePlan {
  readonly width: number;
  readonly height: number;
  readonly tokensBefore: number;
  readonly tokensAfter: number;
}

/** Dimensions and token counts for an image of the given displayed size. */
export function planImage(width: number, height: number, options: NormalizeOptions = {}): ImagePlan {
  return fitForTokens(width, height, {
    maxLongSide: options.maxLongSide ?? DEFAULT_MAX_LONG_SIDE,
    detail: options.detail ?? 'high',
    model: options.model ?? 'gpt-4o',
  });
}

async function normalizeImage(
  input: Buffer,
  options: NormalizeOptions,
  maxOutputBytes: number,
): Promise<NormalizeOutcome> {
  const limits = resolveMediaLimits(options.limits);
  let width: number;
  let height: number;
  let hasAlpha: boolean;
  try {
    const meta = await sharp(input, untrustedSharpOptions(limits)).metadata();
    const swapped = (meta.orientation ?? 1) >= 5;
    width = (swapped ? meta.height : meta.width) ?? 0;
    height = (swapped ? meta.width : meta.height) ?? 0;
    hasAlpha = meta.hasAlpha ?? false;
  } catch {
    return { ok: false, rejection: reject('CORRUPT', 'the image header is truncated or corrupt') };
  }
  if (width <= 0 || height <= 0)
    return { ok: false, rejection: reject('CORRUPT', 'the image declares no size') };
  const fitted = planImage(width, height, options);
  const plan = options.sourceSize
    ? {
        ...fitted,
        tokensBefore: planImage(options.sourceSize.width, options.sourceSize.height, options).tokensBefore,
      }
    : fitted;
  try {
    return await encodeWithinCap(
      input,
      plan,
      hasAlpha,
      maxOutputBytes,
      { detail: options.detail ?? 'high', model: options.model ?? 'gpt-4o' },
      limits,
    );
  } catch {
    return { ok: false, rejection: reject('CORRUPT', 'the image data is truncated or corrupt') };
  }
}

/** Resize once to raw pixels, then encode (and re-encode smaller) from those until it fits. */
export async function encodeWithinCap(
  input: Buffer,
  plan: ImagePlan,
  hasAlpha: boolean,
  maxOutputBytes: number,
  tokenModel: { detail: ImageDetail; model: string } = { detail: 'high', model: 'gpt-4o' },
  limits = resolveMediaLimits(),
): Promise<NormalizeOutcome> {
  if (!hasAlpha) {
    // The common case in one decode-resize-encode pass (shrink-on-load, no raw copy): the cost of a bare
    // sharp resize. Only an output over the cap takes the slower stepping path below.
    const { data, info } = await untrustedImagePipeline(input, limits)
      .resize(plan.width, plan.height, { fit: 'fill', kernel: 'lanczos3' })
      .jpeg({ quality: JPEG_QUALITIES[0], mozjpeg: false })
      .toBuffer({ resolveWithObject: true });
    if (data.length <= maxOutputBytes) {
      return {
        ok: true,
        bytes: data,
        mime: 'image/jpeg',
        width: info.width,
        height: info.height,
        imageTokens: { before: plan.tokensBefore, after: plan.tokensAfter },
      };
    }
  }
  const { data, info } = await untrustedImagePipeline(input, limits)
    .resize(plan.width, plan.height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const transparent = hasAlpha && info.channels === 4 && !alphaIsOpaque(data);
  let width = info.width;
  let height = info.height;
  let tokensAfter = plan.tokensAfter;
  const raw = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  for (;;) {
    const candidates = transparent ? [null] : JPEG_QUALITIES;
    for (const quality of candidates) {
      let pipeline = raw();
      if (width !== info.width || height !== info.height)
        pipeline = pipeline.resize(width, height, { fit: 'fill' });
      const bytes =
        quality === null
          ? await pipeline.png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer()
          : await pipeline.removeAlpha().jpeg({ quality, mozjpeg: false }).toBuffer();
      if (bytes.length <= maxOutputBytes) {
        return {
          ok: true,
          bytes,
          mime: quality === null ? 'image/png' : 'image/jpeg',
          width,
          height,
          imageTokens: { before: plan.tokensBefore, after: tokensAfter },
        };
      }
    }
    const longSide = Math.floor(Math.max(width, height) * 0.75);
    if (longSide < MIN_LONG_SIDE) {
      return {
        ok: false,
        rejection: reject(
          'TOO_LARGE',
          `the image does not fit in ${maxOutputBytes} bytes even at low quality`,
        ),
      };
    }
    const factor = longSide / Math.max(width, height);
    width = Math.max(1, Math.round(width * factor));
    height = Math.max(1, Math.round(height * factor));
    tokensAfter = fitForTokens(width, height, { maxLongSide: longSide, ...tokenModel }).tokensAfter;
  }
}

function alphaIsOpaque(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

const LOUDNORM = 'loudnorm=I=-16:TP=-1.5:LRA=11';

/** WAV first; MP3 at falling bitrates only when the WAV would not fit the request. */
const AUDIO_ENCODINGS: readonly { mime: string; args: readonly string[] }[] = [
  { mime: 'audio/wav', args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  ...['64k', '32k'].map((bitrate) => ({
    mime: 'audio/mpeg',
    // No ID3 tag, no Xing/LAME frame: an MP3 of bare audio frames.
    args: [
      '-c:a',
      'libmp3lame',
      '-b:a',
      bitrate,
      '-id3v2_version',
      '0',
      '-write_id3v1',
      '0',
      '-write_xing',
      '0',
      '-f',
      'mp3',
    ],
  })),
];

async function normalizeAudio(
  input: Buffer,
  format: AudioFormat,
  maxOutputBytes: number,
  timeoutMs: number,
): Promise<NormalizeOutcome> {
  return withTempInput(input, format, (path) =>
    encodeAudioForModel(path, format, { maxOutputBytes, timeoutMs }),
  );
}

/**
 * One ffmpeg run per attempt from the file at `path`: every tag, chapter and non-audio stream dropped,
 * loudness normalised, 16 kHz mono. `maxSeconds` stops decoding just past a duration limit.
 */
export async function encodeAudioForModel(
  path: string,
  format: AudioFormat,
  options: { maxOutputBytes: number; timeoutMs: number; maxSeconds?: number },
): Promise<NormalizeOutcome> {
  let durationSec: number | undefined;
  for (const encoding of AUDIO_ENCODINGS) {
    const run = await spawnFfmpeg(
      [
        '-v',
        'error',
        '-xerror',
        ...inputArgs(format, path),
        ...STRIP_ARGS,
        ...(options.maxSeconds === undefined ? [] : ['-t', String(options.maxSeconds + 1)]),
        '-af',
        LOUDNORM,
        '-ar',
        '16000',
        '-ac',
        '1',
        ...BITEXACT_ARGS,
        ...encoding.args,
        'pipe:1',
      ],
      { timeoutMs: options.timeoutMs },
    ).catch((error: unknown) => {
      if (isFfmpegFailure(error) && error.timedOut) return null;
      throw error;
    });
    if (run === null)
      return { ok: false, rejection: reject('LIMIT_EXCEEDED', 'processing the audio took too long') };
    if (run.exitCode !== 0 || run.stdout.length === 0 || run.stderr.trim() !== '') {
      return { ok: false, rejection: reject('CORRUPT', 'the audio data is truncated or corrupt') };
    }
    const bytes = encoding.mime === 'audio/wav' ? fixWavSizes(run.stdout) : run.stdout;
    if (encoding.mime === 'audio/wav') durationSec = wavInfo(bytes).durationSec;
    if (durationSec === 0)
      return { ok: false, rejection: reject('CORRUPT', 'the audio contains no samples') };
    if (bytes.length <= options.maxOutputBytes) return { ok: true, bytes, mime: encoding.mime, durationSec };
  }
  return {
    ok: false,
    rejection: reject(
      'TOO_LARGE',
      `the audio does not fit in ${options.maxOutputBytes} bytes even as 32 kb/s MP3`,
    ),
  };
}
