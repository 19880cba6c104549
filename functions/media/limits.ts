/**
 * Limits on untrusted media, checked from headers before anything is fully decoded.
 * Each deployment may tighten or loosen them; the defaults fit a 1–3 GB Lambda with room to spare.
 */
export interface MediaLimits {
  /** Bytes of the upload as received. */
  maxBytes: number;
  /** width × height of the first frame/page; decompression bombs stop here, from the header. */
  maxPixels: number;
  /** Either dimension alone (a 1×40 000 000 strip is as hostile as a square bomb). */
  maxWidthOrHeight: number;
  /** Frames of an animation or pages of a TIFF; only the first is used, but a huge count is abuse. */
  maxFrames: number;
  maxAudioSeconds: number;
  maxAudioChannels: number;
  /** Pages of a PDF; every page is rendered and sent, so this bounds work, tokens and cost. */
  maxPages: number;
  /** Either side of a PDF page in points (1/72 in), before rendering. */
  maxPagePoints: number;
}

/**
 * - 25 MB: the largest photo a phone or scanner produces is ~15 MB; the model API's request cap is 20 MB.
 * - 50 MP: a 48 MP phone sensor fits; decoding 50 MP RGB costs ~150 MB of pixels at most (libvips streams).
 * - 16 384 px per side: libjpeg/libwebp's own ceiling; larger sides are not photos.
 * - 1 000 frames: an ordinary animated GIF/multi-page TIFF fits; we only ever decode the first.
 * - 600 s: a ten-minute voice note; the transcription model bills per second.
 * - 8 channels: 7.1 is the most any consumer device records.
 * - 20 PDF pages: a claim or a contract with its annexes; each page is one image the model is billed for.
 * - 14 400 points per page side: 200 inches, the largest page the PDF specification allows (PDF 1.6+,
 *   Annex C); anything larger is a page-size bomb, not paper.
 */
export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxPixels: 50_000_000,
  maxWidthOrHeight: 16_384,
  maxFrames: 1_000,
  maxAudioSeconds: 600,
  maxAudioChannels: 8,
  maxPages: 20,
  maxPagePoints: 14_400,
};

/**
 * Largest model-ready output Preprocess may produce: base64 adds a third, so 15 MB stays under the model
 * API's 20 MB request. Over it, quality and then size are stepped down before `TOO_LARGE`.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 15 * 1024 * 1024;

/** Defaults overlaid with a deployment's overrides; rejects limits that cannot be meant. */
export function resolveMediaLimits(overrides: Partial<MediaLimits> = {}): MediaLimits {
  const limits = { ...DEFAULT_MEDIA_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof MediaLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`media limit ${key} must be a positive number`);
    limits[key] = value;
  }
  return limits;
}

/** Environment variables a deployment sets to override the defaults (unset or empty = default). */
export const MEDIA_LIMIT_ENV: Readonly<Record<keyof MediaLimits, string>> = {
  maxBytes: 'MEDIAGATE_MAX_UPLOAD_BYTES',
  maxPixels: 'MEDIAGATE_MAX_PIXELS',
  maxWidthOrHeight: 'MEDIAGATE_MAX_SIDE_PX',
  maxFrames: 'MEDIAGATE_MAX_FRAMES',
  maxAudioSeconds: 'MEDIAGATE_MAX_AUDIO_SECONDS',
  maxAudioChannels: 'MEDIAGATE_MAX_AUDIO_CHANNELS',
  maxPages: 'MEDIAGATE_MAX_PDF_PAGES',
  maxPagePoints: 'MEDIAGATE_MAX_PDF_PAGE_POINTS',
};

/** Overrides read from the environment; a malformed value is a deployment bug and throws. */
export function mediaLimitsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Partial<MediaLimits> {
  const overrides: Partial<MediaLimits> = {};
  for (const [key, name] of Object.entries(MEDIA_LIMIT_ENV) as [keyof MediaLimits, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0)
      throw new Error(`${name} must be a positive number; got "${raw}"`);
    overrides[key] = value;
  }
  return overrides;
}
