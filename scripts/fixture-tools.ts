/**
 * The command-line tools that fixture scripts and tests run, each taken from an npm package so that
 * `npm ci` is all the set-up they need: nothing is looked up on PATH, where a machine may have another
 * version or none at all.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** ExifTool's perl script as `exiftool-vendored.pl` ships it; it runs on the system perl. */
export const EXIFTOOL_SCRIPT: string = require('exiftool-vendored.pl') as string;

/**
 * The static ffmpeg build of `@ffmpeg-installer/ffmpeg`, the one the runtime falls back to outside Lambda.
 * Resolved here rather than through the runtime's `ffmpegPath()`, which tests repoint with
 * MEDIAGATE_FFMPEG_PATH: fixtures stay the same whichever binary is under test.
 */
export const NPM_FFMPEG: string = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;

/** ffmpeg output options for a file with no tags and no encoder version, the same bytes each time it is made. */
export const UNTAGGED_OUTPUT_ARGS: readonly string[] = [
  '-map_metadata',
  '-1',
  '-fflags',
  '+bitexact',
  '-flags:a',
  '+bitexact',
];

/** Runs the vendored ExifTool with `args` (and `input` on its stdin); returns its stdout. */
export function runExiftool(args: readonly string[], input?: Buffer): Buffer {
  return execFileSync('perl', [EXIFTOOL_SCRIPT, ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}
