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
}

/**
 * - 25 MB: the largest photo a phone or scanner produces is ~15 MB; the model API's request cap is 20 MB.
 * - 50 MP: a 48 MP phone sensor fits; decoding 50 MP RGB costs ~150 MB of pixels at most (libvips streams).
 * - 16 384 px per side: libjpeg/libwebp's own ceiling; larger sides are not photos.
 * - 1 000 frames: an ordinary animated GIF/multi-page TIFF fits; we only ever decode the first.
 * - 600 s: a ten-minute voice note; the transcription model bills per second.
 * - 8 channels: 7.1 is the most any consumer device records.
 */
export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxPixels: 50_000_000,
  maxWidthOrHeight: 16_384,
  maxFrames: 1_000,
  maxAudioSeconds: 600,
  maxAudioChannels: 8,
};

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
