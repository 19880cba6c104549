import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/config/settings.js';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MEDIA_LIMITS } from '../../../functions/media/limits.js';

describe('loadConfig media settings', () => {
  it('uses the documented media limits and payload cap when nothing is set', () => {
    // Act
    const config = loadConfig({});
    // Assess
    expect(config.mediaLimits).toEqual(DEFAULT_MEDIA_LIMITS);
    expect(config.maxOutputBytes).toBe(DEFAULT_MAX_OUTPUT_BYTES);
    expect(config.dedicatedStep).toBeUndefined();
  });

  it('reads per-deployment limits, with the upload cap as the media byte limit', () => {
    // Act
    const config = loadConfig({
      MEDIAGATE_MAX_UPLOAD_BYTES: '5000000',
      MEDIAGATE_MAX_PIXELS: '12000000',
      MEDIAGATE_MAX_SIDE_PX: '8000',
      MEDIAGATE_MAX_FRAMES: '50',
      MEDIAGATE_MAX_AUDIO_SECONDS: '120',
      MEDIAGATE_MAX_AUDIO_CHANNELS: '2',
      MEDIAGATE_MAX_PDF_PAGES: '5',
      MEDIAGATE_MAX_PDF_PAGE_POINTS: '5000',
      MEDIAGATE_MAX_OUTPUT_BYTES: '4000000',
      MEDIAGATE_STEP: 'validate-and-strip',
    });
    // Assess
    expect(config.maxUploadBytes).toBe(5_000_000);
    expect(config.mediaLimits).toEqual({
      maxBytes: 5_000_000,
      maxPixels: 12_000_000,
      maxWidthOrHeight: 8000,
      maxFrames: 50,
      maxAudioSeconds: 120,
      maxAudioChannels: 2,
      maxPages: 5,
      maxPagePoints: 5000,
    });
    expect(config.maxOutputBytes).toBe(4_000_000);
    expect(config.dedicatedStep).toBe('validate-and-strip');
  });

  it('keeps the defaults for variables set but empty', () => {
    // Act
    const config = loadConfig({
      MEDIAGATE_MAX_PIXELS: '',
      MEDIAGATE_MAX_OUTPUT_BYTES: '',
      MEDIAGATE_STEP: '',
    });
    // Assess
    expect(config.mediaLimits.maxPixels).toBe(DEFAULT_MEDIA_LIMITS.maxPixels);
    expect(config.maxOutputBytes).toBe(DEFAULT_MAX_OUTPUT_BYTES);
    expect(config.dedicatedStep).toBeUndefined();
  });

  it('refuses a malformed limit or payload cap, naming the variable', () => {
    expect(() => loadConfig({ MEDIAGATE_MAX_FRAMES: 'many' })).toThrow(/MEDIAGATE_MAX_FRAMES/);
    expect(() => loadConfig({ MEDIAGATE_MAX_AUDIO_SECONDS: '-5' })).toThrow(/MEDIAGATE_MAX_AUDIO_SECONDS/);
    expect(() => loadConfig({ MEDIAGATE_MAX_OUTPUT_BYTES: '1.5' })).toThrow(/MEDIAGATE_MAX_OUTPUT_BYTES/);
    expect(() => loadConfig({ MEDIAGATE_MAX_UPLOAD_BYTES: '0' })).toThrow(/MEDIAGATE_MAX_UPLOAD_BYTES/);
  });
});
