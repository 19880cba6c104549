import { afterEach, describe, expect, it } from 'vitest';
import { FfmpegError, ffmpegPath, runFfmpeg, spawnFfmpeg } from '../../../functions/media/ffmpeg.js';
import { validateAndStrip } from '../../../functions/media/sanitize.js';
import { toneWav } from '../../../scripts/make-fixtures.js';

const SINE = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=5'];

describe('ffmpeg runner', () => {
  afterEach(() => {
    delete process.env.MEDIAGATE_FFMPEG_PATH;
  });

  it('prefers MEDIAGATE_FFMPEG_PATH, else the npm static build (no /opt/bin/ffmpeg layer here)', () => {
    // Act
    const fallback = ffmpegPath();
    process.env.MEDIAGATE_FFMPEG_PATH = '/opt/custom/ffmpeg';
    const overridden = ffmpegPath();
    // Assess
    expect(fallback).toMatch(/@ffmpeg-installer\/linux-x64\/ffmpeg$/);
    expect(overridden).toBe('/opt/custom/ffmpeg');
  });

  it('returns stdout on success and throws FfmpegError with the exit status on failure', async () => {
    // Act
    const wav = await runFfmpeg([...SINE, '-t', '0.1', '-f', 'wav', 'pipe:1'], { timeoutMs: 10_000 });
    const failure = await runFfmpeg(['-f', 'wav', '-i', 'file:/nonexistent.wav', '-f', 'null', '-'], {
      timeoutMs: 10_000,
    }).catch((error: unknown) => error);
    // Assess
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(failure).toBeInstanceOf(FfmpegError);
    expect((failure as FfmpegError).exitCode).not.toBe(0);
  });

  it('kills ffmpeg that runs past its time limit', async () => {
    // Act: -re paces reading at real time, so 5 s of audio cannot finish in 300 ms.
    const failure = await spawnFfmpeg(['-re', ...SINE, '-f', 'null', '-'], { timeoutMs: 300 }).catch(
      (error: unknown) => error,
    );
    // Assess
    expect(failure).toBeInstanceOf(FfmpegError);
    expect((failure as FfmpegError).timedOut).toBe(true);
  });

  it('kills ffmpeg whose output passes the byte cap instead of buffering it', async () => {
    // Act
    const failure = await spawnFfmpeg([...SINE, '-f', 'wav', 'pipe:1'], {
      timeoutMs: 10_000,
      maxStdoutBytes: 10_000,
    }).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(FfmpegError);
    expect((failure as FfmpegError).overflowed).toBe(true);
  });

  it('bounds the clean copy of hi-res multichannel audio to 48 kHz stereo', async () => {
    // Prepare: 2 s, 6 channels at 16 kHz would stay; resample a copy to 96 kHz first.
    const hiRes = await runFfmpeg(
      [
        '-f',
        'wav',
        '-i',
        'pipe:0',
        '-ar',
        '96000',
        '-ac',
        '6',
        '-f',
        'wav',
        '-fflags',
        '+bitexact',
        'pipe:1',
      ],
      { input: toneWav(2, 1), timeoutMs: 10_000 },
    );
    // Act
    const outcome = await validateAndStrip(hiRes);
    // Assess
    if (!outcome.ok) throw new Error(outcome.rejection.reason);
    expect(outcome.bytes.readUInt16LE(22)).toBe(2);
    expect(outcome.bytes.readUInt32LE(24)).toBe(48_000);
    expect(outcome.durationSec).toBeCloseTo(2, 1);
  });
});
