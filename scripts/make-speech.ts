/**
 * Makes the committed speech clips in test/fixtures/speech/: espeak-ng reads each text below (22.05 kHz
 * mono), and the npm ffmpeg stores it as Ogg Opus at 32 kb/s, about 4 KB a second. Speech is the one
 * fixture no npm package makes, so the clips are committed and tests only read them (`speechWav` in
 * make-fixtures.ts); run this once after changing a text, on a machine with espeak-ng:
 *
 *   apt-get install espeak-ng && npx tsx scripts/make-speech.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NPM_FFMPEG, UNTAGGED_OUTPUT_ARGS } from './fixture-tools.js';

export const SPEECH_DIR = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'speech');

/** Clip name → what is said in it. */
export const SPEECH_CLIPS = {
  'voice-note': 'This is a short voice note for the test suite.',
  'call-back': 'Please call me back about the delivery on Tuesday.',
  'claim-call':
    'Hello, this is Jane Example. Please call me back about claim number four two one seven. Thank you.',
} as const;

export type SpeechClip = keyof typeof SPEECH_CLIPS;

export function speechClipPath(clip: SpeechClip): string {
  return join(SPEECH_DIR, `${clip}.opus`);
}

function makeClip(clip: SpeechClip): string {
  const wav = join(SPEECH_DIR, `${clip}.wav`);
  const out = speechClipPath(clip);
  writeFileSync(wav, execFileSync('espeak-ng', ['-s', '160', '--stdout', SPEECH_CLIPS[clip]]));
  try {
    // Untagged and bitexact, so remaking a clip with the same espeak-ng gives the same bytes.
    execFileSync(NPM_FFMPEG, [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-i',
      wav,
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      ...UNTAGGED_OUTPUT_ARGS,
      out,
    ]);
  } finally {
    rmSync(wav, { force: true });
  }
  return out;
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  mkdirSync(SPEECH_DIR, { recursive: true });
  for (const clip of Object.keys(SPEECH_CLIPS) as SpeechClip[]) {
    const path = makeClip(clip);
    process.stdout.write(`${path} (${statSync(path).size} bytes)\n`);
  }
}
