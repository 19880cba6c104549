/**
 * Audio side of validation: an ffmpeg probe read from its stderr (stream layout, duration, the names of
 * the tags present) and the transcodes. ffmpeg always gets the demuxer forced from our sniff, a
 * file-only protocol whitelist (no playlists reaching out, no concat tricks), a time limit, and
 * bit-exact output so no encoder version or timestamp is written.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rejection } from '../pipeline/reasons.js';
import { reject } from '../pipeline/reasons.js';
import { wavMetadataChunks } from './containers.js';
import { FfmpegError, spawnFfmpeg } from './ffmpeg.js';
import type { MediaLimits } from './limits.js';
import type { AudioFormat } from './sniff.js';

/** ffmpeg demuxer names; both the 2018 static build and Debian's ffmpeg know these. */
export const DEMUXER: Readonly<Record<AudioFormat, string>> = {
  wav: 'wav',
  mp3: 'mp3',
  m4a: 'mp4',
  aac: 'aac',
  flac: 'flac',
  ogg: 'ogg',
  webm: 'webm',
};

/** Where the container keeps its tags, for the report's `Group:tag` names. */
const TAG_GROUP: Readonly<Record<AudioFormat, string>> = {
  wav: 'RIFF',
  mp3: 'ID3',
  m4a: 'MP4',
  aac: 'ID3',
  flac: 'Vorbis',
  ogg: 'Vorbis',
  webm: 'Matroska',
};

/**
 * Every input is a temp file (`withTempInput`: MP4 needs to seek), so `file` is the only protocol an input
 * or anything nested in it may open: not http, not `pipe:` (stdin), not `data:`. Outputs go to `pipe:1`,
 * which is an output option and not affected.
 */
export const INPUT_GUARD_ARGS = ['-protocol_whitelist', 'file'] as const;
export const BITEXACT_ARGS = ['-fflags', '+bitexact', '-flags:a', '+bitexact'] as const;
/** Drops every tag, chapter and non-audio stream (cover art is a video stream). */
/**
 * The clean copy keeps the source's rate and channels up to 48 kHz stereo: enough for any later use
 * (the model gets 16 kHz mono), and it bounds the PCM a 10-minute file can decode to (~110 MB).
 */
export function pcmBoundArgs(probe: { sampleRate: number; channels: number }): string[] {
  return [
    ...(probe.sampleRate > 48_000 ? ['-ar', '48000'] : []),
    ...(probe.channels > 2 ? ['-ac', '2'] : []),
  ];
}

export const STRIP_ARGS = [
  '-map',
  '0:a:0',
  '-map_metadata',
  '-1',
  '-map_chapters',
  '-1',
  '-vn',
  '-sn',
  '-dn',
] as const;

export interface AudioProbe {
  readonly durationSec: number | null;
  readonly channels: number;
  readonly sampleRate: number;
  readonly audioStreams: number;
  /** Non-cover-art video streams: a video, not a voice note. */
  readonly videoStreams: number;
  readonly removed: string[];
}

const LAYOUT_CHANNELS: Readonly<Record<string, number>> = {
  mono: 1,
  stereo: 2,
  downmix: 2,
  quad: 4,
  hexagonal: 6,
  octagonal: 8,
  hexadecagonal: 16,
};

function channelsOf(description: string): number {
  const explicit = /(\d+) channels/.exec(description);
  if (explicit?.[1]) return Number(explicit[1]);
  const fields = description.split(',').map((field) => field.trim());
  for (const field of fields) {
    const layout = field.replace(/\(.*\)$/, '');
    const named = LAYOUT_CHANNELS[layout];
    if (named !== undefined) return named;
    const dotted = /^(\d+)\.(\d+)$/.exec(layout);
    if (dotted?.[1] && dotted[2]) return Number(dotted[1]) + Number(dotted[2]);
  }
  return 0;
}

/**
 * Key names of `Metadata:` blocks in ffmpeg's input dump; the values after the colon are never read.
 * Lower-cased: ffmpeg versions differ in the case they print Vorbis/Matroska keys in.
 */
function metadataKeys(lines: string[], start: number): { keys: string[]; end: number } {
  const header = lines[start] ?? '';
  const indent = header.length - header.trimStart().length;
  const keys: string[] = [];
  let i = start + 1;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const lineIndent = line.length - line.trimStart().length;
    if (line.trim() === '' || lineIndent <= indent) break;
    const key = line.slice(0, Math.max(line.indexOf(':'), 0)).trim();
    // Continuation lines of multi-line values have an empty key; keys are letters, digits and punctuation.
    if (key && /^[\w.\-:/ ]{1,64}$/.test(key)) keys.push(key.replace(/\s+/g, '_').toLowerCase());
  }
  return { keys, end: i - 1 };
}

/**
 * Cover art is a still-image "video" stream. Newer ffmpeg marks it `(attached pic)`; the 2018 static build
 * does not, so image codecs count as cover art too (no one records a voice note as Motion JPEG).
 */
const COVER_ART_CODECS = /^(mjpeg|png|bmp|gif|tiff|webp)\b/;

function isCoverArt(description: string): boolean {
  return description.includes('(attached pic)') || COVER_ART_CODECS.test(description);
}

/** Parses `ffmpeg -i` stderr. Exported for tests: the format differs a little between ffmpeg versions. */
export function parseFfmpegProbe(stderr: string, format: AudioFormat): AudioProbe | null {
  const lines = stderr.split(/\r?\n/);
  const inputAt = lines.findIndex((line) => /^Input #0,/.test(line));
  if (inputAt < 0) return null;
  const group = TAG_GROUP[format];
  const removed = new Set<string>();
  let durationSec: number | null = null;
  let channels = 0;
  let sampleRate = 0;
  let audioStreams = 0;
  let videoStreams = 0;
  let chapters = 0;
  for (let i = inputAt + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\S/.test(line)) break;
    const trimmed = line.trim();
    if (trimmed === 'Metadata:') {
      const { keys, end } = metadataKeys(lines, i);
      for (const key of keys) removed.add(`${group}:${key}`);
      i = end;
      continue;
    }
    const duration = /^Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(trimmed);
    if (duration?.[1] && duration[2] && duration[3]) {
      durationSec = Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]);
      continue;
    }
    if (/^Chapter #\d+[:.]\d+/.test(trimmed)) {
      chapters++;
      continue;
    }
    const stream =
      /^Stream #\d+[:.]\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: (Audio|Video|Subtitle|Data|Attachment): (.*)$/.exec(
        trimmed,
      );
    if (stream?.[1] && stream[2] !== undefined) {
      if (stream[1] === 'Audio') {
        audioStreams++;
        if (audioStreams === 1) {
          channels = channelsOf(stream[2]);
          sampleRate = Number(/(\d+) Hz/.exec(stream[2])?.[1] ?? 0);
        }
      } else if (stream[1] === 'Video' && isCoverArt(stream[2])) {
        removed.add('CoverArt');
      } else if (stream[1] === 'Video') {
        videoStreams++;
      } else {
        removed.add(`Stream:${stream[1]}`);
      }
    }
  }
  if (chapters > 0) removed.add('Chapters');
  return { durationSec, channels, sampleRate, audioStreams, videoStreams, removed: [...removed].sort() };
}

export type AudioProbeOutcome = { ok: true; probe: AudioProbe } | { ok: false; rejection: Rejection };

/** Checks the header-level facts against the limits; duration is re-checked on the decoded output. */
export function checkAudioProbe(probe: AudioProbe | null, limits: MediaLimits): AudioProbeOutcome {
  if (!probe) return { ok: false, rejection: reject('CORRUPT', 'the audio container could not be read') };
  if (probe.videoStreams > 0) {
    return {
      ok: false,
      rejection: reject('UNSUPPORTED_TYPE', 'video is not accepted, only audio recordings'),
    };
  }
  if (probe.audioStreams === 0) {
    return { ok: false, rejection: reject('CORRUPT', 'the file contains no audio stream') };
  }
  if (probe.channels > limits.maxAudioChannels) {
    return {
      ok: false,
      rejection: reject(
        'LIMIT_EXCEEDED',
        `the audio has ${probe.channels} channels; the limit is ${limits.maxAudioChannels}`,
      ),
    };
  }
  if (probe.durationSec !== null && probe.durationSec > limits.maxAudioSeconds) {
    return { ok: false, rejection: durationRejection(probe.durationSec, limits) };
  }
  return { ok: true, probe };
}

export function durationRejection(seconds: number, limits: MediaLimits): Rejection {
  return reject(
    'LIMIT_EXCEEDED',
    `the audio lasts ${seconds.toFixed(1)} s or more; the limit is ${limits.maxAudioSeconds} s`,
  );
}

/**
 * Writes the input where ffmpeg can seek it (MP4 keeps its index at the end) and always cleans up.
 * A WAV written by a streaming recorder has placeholder sizes (0 or 0xFFFFFFFF) that ffmpeg reports as a
 * corrupt last packet; its sizes are made real first, on a copy.
 */
export async function withTempInput<T>(
  input: Buffer,
  format: AudioFormat,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mediagate-'));
  try {
    const path = join(dir, `${randomUUID()}.bin`);
    await writeFile(
      path,
      format === 'wav' ? fixWavSizes(Buffer.from(input), { placeholdersOnly: true }) : input,
      {
        mode: 0o600,
      },
    );
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function inputArgs(format: AudioFormat, path: string): string[] {
  return ['-f', DEMUXER[format], ...INPUT_GUARD_ARGS, '-i', `file:${path}`];
}

/** `ffmpeg -i` with no output: exits 1 by design, everything we need is in stderr. */
/** Tag names from ffmpeg's dump, plus the RIFF chunks it does not print (bext, iXML, ID3, XMP…). */
export function withContainerNames(probe: AudioProbe, input: Buffer, format: AudioFormat): AudioProbe {
  if (format !== 'wav') return probe;
  return { ...probe, removed: [...new Set([...probe.removed, ...wavMetadataChunks(input)])].sort() };
}

export async function probeAudio(
  path: string,
  format: AudioFormat,
  timeoutMs: number,
): Promise<AudioProbe | null> {
  // A demuxer that spins on a crafted header is unreadable input, not an outage.
  const run = await spawnFfmpeg(inputArgs(format, path), { timeoutMs }).catch((error: unknown) => {
    if (isFfmpegFailure(error) && error.timedOut) return null;
    throw error;
  });
  return run ? parseFfmpegProbe(run.stderr, format) : null;
}

/**
 * ffmpeg's wav muxer cannot seek back on a pipe, so the RIFF and data sizes are left as placeholders;
 * this writes the real sizes so every reader (and exiftool) sees a well-formed file.
 */
/** Declared RIFF/data sizes from here up are streaming placeholders (see fixWavSizes). */
const STREAMING_SIZE_FLOOR = 0x7fff0000;

export function fixWavSizes(wav: Buffer, options: { placeholdersOnly?: boolean } = {}): Buffer {
  if (wav.length < 12 || wav.toString('latin1', 0, 4) !== 'RIFF') return wav;
  // A real size that disagrees with the file is truncation, which must stay visible; only streaming
  // placeholders (0 or 0xFFFFFFFF) are rewritten when asked to be careful.
  // Streaming writers leave 0, 0xFFFFFFFF or "almost 2 GB" (espeak-ng writes 0x7FFFF000 + n): sizes no
  // upload under our byte limit can really have, so they are placeholders rather than truncation.
  const isPlaceholder = (size: number) => size === 0 || size >= STREAMING_SIZE_FLOOR;
  if (!options.placeholdersOnly || isPlaceholder(wav.readUInt32LE(4))) wav.writeUInt32LE(wav.length - 8, 4);
  let at = 12;
  while (at + 8 <= wav.length) {
    const id = wav.toString('latin1', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'data') {
      if (!options.placeholdersOnly || isPlaceholder(size)) wav.writeUInt32LE(wav.length - at - 8, at + 4);
      break;
    }
    at += 8 + size + (size % 2);
  }
  return wav;
}

export interface WavInfo {
  readonly channels: number;
  readonly sampleRate: number;
  readonly durationSec: number;
}

/** Reads the fmt and data chunks of a PCM WAV we produced. */
export function wavInfo(wav: Buffer): WavInfo {
  let at = 12;
  let channels = 0;
  let sampleRate = 0;
  let blockAlign = 0;
  let dataBytes = 0;
  while (at + 8 <= wav.length) {
    const id = wav.toString('latin1', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      channels = wav.readUInt16LE(at + 10);
      sampleRate = wav.readUInt32LE(at + 12);
      blockAlign = wav.readUInt16LE(at + 20);
    } else if (id === 'data') {
      dataBytes = Math.min(size, wav.length - at - 8);
      break;
    }
    at += 8 + size + (size % 2);
  }
  const durationSec = sampleRate && blockAlign ? dataBytes / blockAlign / sampleRate : 0;
  return { channels, sampleRate, durationSec: Math.round(durationSec * 1000) / 1000 };
}

export function isFfmpegFailure(error: unknown): error is FfmpegError {
  return error instanceof FfmpegError;
}

/**
 * A file that decodes to much less than its header promises was cut off. MP3 is exempt: without a Xing
 * header its "duration" is a guess from the first frame's bitrate.
 */
export function isTruncated(
  format: AudioFormat,
  headerSec: number | null,
  decodedSec: number,
  limits: MediaLimits,
): boolean {
  if (format === 'mp3' || format === 'aac' || headerSec === null) return false;
  const expected = Math.min(headerSec, limits.maxAudioSeconds);
  return decodedSec < expected * 0.9 - 0.25;
}
