/**
 * What the bytes are, decided from the bytes alone (magic numbers via file-type), and whether we take it.
 * The extension, the Content-Type and whatever the presign request claimed are never trusted; a declared
 * type is only compared against what the bytes say.
 */
import { fileTypeFromBuffer } from 'file-type';
import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import type { MediaLimits } from './limits.js';

/** `document` (PDF) and HEIC are rasterised on the way in: what leaves the first step is always an image. */
export type MediaKind = 'image' | 'audio' | 'document';

export interface AcceptedFormat {
  readonly kind: MediaKind;
  /** Stable short name used across this module (and the sharp/ffmpeg format it maps to). */
  readonly format: ImageFormat | AudioFormat | RasterisedFormat;
  /** The canonical MIME type reported as `inputType`. */
  readonly mime: string;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';
/** Formats no later step reads: ValidateAndStrip turns them into JPEG/PNG pages (pdf.ts, heic.ts). */
export type RasterisedFormat = 'pdf' | 'heic';
export type AudioFormat = 'wav' | 'mp3' | 'm4a' | 'aac' | 'flac' | 'ogg' | 'webm';

/** file-type `ext` → what we accept. Anything not listed is UNSUPPORTED_TYPE. */
const ACCEPTED: Readonly<Record<string, AcceptedFormat>> = {
  jpg: { kind: 'image', format: 'jpeg', mime: 'image/jpeg' },
  png: { kind: 'image', format: 'png', mime: 'image/png' },
  // An animated PNG is a PNG whose default image is the first frame; that is all we decode.
  apng: { kind: 'image', format: 'png', mime: 'image/png' },
  webp: { kind: 'image', format: 'webp', mime: 'image/webp' },
  gif: { kind: 'image', format: 'gif', mime: 'image/gif' },
  tif: { kind: 'image', format: 'tiff', mime: 'image/tiff' },
  avif: { kind: 'image', format: 'avif', mime: 'image/avif' },
  heic: { kind: 'image', format: 'heic', mime: 'image/heic' },
  pdf: { kind: 'document', format: 'pdf', mime: 'application/pdf' },
  wav: { kind: 'audio', format: 'wav', mime: 'audio/wav' },
  mp3: { kind: 'audio', format: 'mp3', mime: 'audio/mpeg' },
  m4a: { kind: 'audio', format: 'm4a', mime: 'audio/mp4' },
  // Phones write voice memos as ISO-brand MP4; the audio step refuses any that carry real video.
  mp4: { kind: 'audio', format: 'm4a', mime: 'audio/mp4' },
  aac: { kind: 'audio', format: 'aac', mime: 'audio/aac' },
  flac: { kind: 'audio', format: 'flac', mime: 'audio/flac' },
  ogg: { kind: 'audio', format: 'ogg', mime: 'audio/ogg' },
  opus: { kind: 'audio', format: 'ogg', mime: 'audio/ogg' },
  oga: { kind: 'audio', format: 'ogg', mime: 'audio/ogg' },
  // Browsers' MediaRecorder writes WebM; video tracks are refused later.
  webm: { kind: 'audio', format: 'webm', mime: 'audio/webm' },
};

/** Declared MIME types (lower-case, parameters dropped) → the format they name. */
const DECLARED_ALIASES: Readonly<Record<string, ImageFormat | AudioFormat | RasterisedFormat>> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'image/heic': 'heic',
  'image/heif': 'heic',
  'image/heic-sequence': 'heic',
  'image/heif-sequence': 'heic',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/pjpeg': 'jpeg',
  'image/png': 'png',
  'image/x-png': 'png',
  'image/apng': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/tiff': 'tiff',
  'image/tif': 'tiff',
  'image/avif': 'avif',
  'audio/wav': 'wav',
  'audio/wave': 'wav',
  'audio/x-wav': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/mpeg3': 'mp3',
  'audio/x-mp3': 'mp3',
  'audio/mp4': 'm4a',
  'audio/m4a': 'm4a',
  'audio/x-m4a': 'm4a',
  'video/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/aacp': 'aac',
  'audio/x-aac': 'aac',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/vorbis': 'ogg',
  'application/ogg': 'ogg',
  'audio/webm': 'webm',
  'video/webm': 'webm',
};

/** Types that say nothing about the content; a declaration of one of these is not checked. */
const UNINFORMATIVE_TYPES = new Set([
  '',
  'application/octet-stream',
  'binary/octet-stream',
  'application/unknown',
]);

/** Formats whose declared names are interchangeable in practice (Safari labels M4A recordings audio/aac). */
function sameFamily(
  declared: ImageFormat | AudioFormat | RasterisedFormat,
  sniffed: ImageFormat | AudioFormat | RasterisedFormat,
): boolean {
  if (declared === sniffed) return true;
  const aacFamily = new Set(['m4a', 'aac']);
  return aacFamily.has(declared) && aacFamily.has(sniffed);
}

/** The declared type is caller-controlled text: echo it only when it is shaped like a MIME type. */
function printableType(declared: string): string {
  return /^[a-z0-9][a-z0-9.+-]{0,40}\/[a-z0-9][a-z0-9.+-]{0,60}$/.test(declared) ? declared : 'another type';
}

export function normaliseDeclaredType(declared: string | undefined): string {
  return (declared ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export type SniffResult =
  | { ok: true; accepted: AcceptedFormat }
  | { ok: false; rejection: Rejection; inputType?: string };

const TEXT_SAMPLE_BYTES = 4096;

/** Printable text (UTF-8, or UTF-16 with a BOM) in the first 4 KB: text, markup and scripts are never media. */
export function looksLikeText(input: Buffer): boolean {
  const sample = input.subarray(0, TEXT_SAMPLE_BYTES);
  if (sample.length >= 2) {
    const bom = sample.readUInt16BE(0);
    if (bom === 0xfffe || bom === 0xfeff) return utf16LooksLikeText(sample.subarray(2), bom === 0xfffe);
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  let control = 0;
  let replacement = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0xfffd) replacement++;
    else if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c) control++;
  }
  // A cut-off multi-byte character at the sample's end is one replacement; binary formats give dozens.
  return text.length > 0 && control === 0 && replacement <= 1;
}

function utf16LooksLikeText(body: Buffer, littleEndian: boolean): boolean {
  let units = 0;
  let control = 0;
  for (let i = 0; i + 1 < body.length; i += 2) {
    const unit = littleEndian ? body.readUInt16LE(i) : body.readUInt16BE(i);
    units++;
    if (unit < 0x20 && unit !== 0x09 && unit !== 0x0a && unit !== 0x0d) control++;
  }
  return units === 0 || control / units < 0.01;
}

function textRejection(input: Buffer): Rejection {
  const head = input.subarray(0, TEXT_SAMPLE_BYTES).toString('latin1').toLowerCase();
  if (head.includes('<svg')) {
    return reject('UNSUPPORTED_TYPE', 'SVG is not accepted: vector images and markup are never rasterised');
  }
  return reject('UNSUPPORTED_TYPE', 'the file is text, not an image or audio recording');
}

/**
 * Decides the type from the bytes and checks it against the allowlist and the declared type.
 * A file whose bytes are not an accepted format is UNSUPPORTED_TYPE even when a type was declared: the
 * reason the user can act on is "this kind of file is not accepted", not that the label was wrong.
 * TYPE_MISMATCH is for accepted media labelled as something else (a PNG uploaded as image/jpeg).
 */
export async function sniffMedia(input: Buffer, declaredType?: string): Promise<SniffResult> {
  const detected = await fileTypeFromBuffer(input);
  if (detected?.ext === 'svg' || detected?.ext === 'xml')
    return { ok: false, rejection: textRejection(input) };
  // A UTF-16 BOM (FF FE) is also an MPEG audio frame sync, so "audio" that reads as text is text.
  if ((!detected || detected.mime.startsWith('audio/')) && looksLikeText(input)) {
    return { ok: false, rejection: textRejection(input) };
  }
  if (!detected) {
    return {
      ok: false,
      rejection: reject('UNSUPPORTED_TYPE', 'the file is not a recognised image or audio format'),
    };
  }
  // file-type names HEIF stills and sequences by brand; all of them go to the HEIF decoder.
  const ext = detected.mime === 'image/heif' || detected.mime.startsWith('image/hei') ? 'heic' : detected.ext;
  const accepted = ACCEPTED[ext];
  if (!accepted) {
    return {
      ok: false,
      inputType: detected.mime,
      rejection: reject('UNSUPPORTED_TYPE', `${detected.mime} is not an accepted image or audio format`),
    };
  }
  const declared = normaliseDeclaredType(declaredType);
  if (!UNINFORMATIVE_TYPES.has(declared)) {
    const declaredFormat = DECLARED_ALIASES[declared];
    if (declaredFormat === undefined || !sameFamily(declaredFormat, accepted.format)) {
      return {
        ok: false,
        inputType: accepted.mime,
        rejection: reject(
          'TYPE_MISMATCH',
          `declared as ${printableType(declared)} but the bytes are ${accepted.mime}`,
        ),
      };
    }
  }
  return { ok: true, accepted };
}

/** The first checks every untrusted upload gets, in order: empty, over the byte limit, then its type. */
export async function admitUpload(
  input: Buffer,
  limits: Pick<MediaLimits, 'maxBytes'>,
  declaredType?: string,
): Promise<SniffResult> {
  if (input.length === 0) return { ok: false, rejection: reject('EMPTY', 'the file is empty') };
  if (input.length > limits.maxBytes) {
    return {
      ok: false,
      rejection: reject('TOO_LARGE', `the file has ${input.length} bytes; the limit is ${limits.maxBytes}`),
    };
  }
  return sniffMedia(input, declaredType);
}
