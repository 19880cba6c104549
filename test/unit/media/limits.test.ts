import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MEDIA_LIMITS,
  mediaLimitsFromEnv,
  resolveMediaLimits,
} from '../../../functions/media/limits.js';

describe('media limits', () => {
  it('overlays deployment overrides on the documented defaults', () => {
    // Act
    const limits = resolveMediaLimits({ maxPixels: 12_000_000, maxAudioSeconds: undefined });
    // Assess
    expect(limits).toEqual({ ...DEFAULT_MEDIA_LIMITS, maxPixels: 12_000_000 });
    expect(DEFAULT_MEDIA_LIMITS.maxBytes).toBe(25 * 1024 * 1024);
  });

  it('rejects a limit that cannot be meant', () => {
    expect(() => resolveMediaLimits({ maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => resolveMediaLimits({ maxFrames: Number.NaN })).toThrow(/maxFrames/);
  });

  it('reads overrides from the environment and refuses malformed ones', () => {
    // Act
    const overrides = mediaLimitsFromEnv({ MEDIAGATE_MAX_PIXELS: '20000000', MEDIAGATE_MAX_FRAMES: '' });
    // Assess
    expect(overrides).toEqual({ maxPixels: 20_000_000 });
    expect(() => mediaLimitsFromEnv({ MEDIAGATE_MAX_AUDIO_SECONDS: 'ten' })).toThrow(
      /MEDIAGATE_MAX_AUDIO_SECONDS/,
    );
  });
});
