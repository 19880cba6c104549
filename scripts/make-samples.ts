/**
 * Creates the three committed demo inputs in samples/, each carrying the problem mediagate exists for:
 * - photo-with-gps.jpg: a 2000×1500 photo-like scene with GPS, camera serials and an owner name in EXIF,
 *   stored sideways (orientation 6), as a phone would upload it.
 * - claim-form.png: a scanned-looking form whose text is PII (name, SSN, card number, email), legible
 *   enough for OCR (tesseract) to find it.
 * - voice-note.wav: a few seconds of espeak-ng speech (the committed claim-call clip) with RIFF INFO
 *   title/artist/comment tags.
 * Run: npx tsx scripts/make-samples.ts (ExifTool and ffmpeg come from npm packages).
 * The values are fictitious: 219-09-9999 is the SSN the SSA itself published in ads (valid format, never
 * issued to anyone), 4111 1111 1111 1111 is Visa's test card.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { runFfmpeg } from '../functions/media/ffmpeg.js';
import { useFixtureFonts } from './fixture-fonts.js';
import { runExiftool } from './fixture-tools.js';
import { photoLikeImage, speechWav } from './make-fixtures.js';

// Before any text is drawn: fontconfig reads its configuration once per process.
useFixtureFonts();

export const SAMPLES_DIR = resolve(import.meta.dirname, '..', 'samples');

export const CLAIM_FORM_LINES = [
  'Claimant: Jane Example',
  'SSN: 219-09-9999',
  'Card: 4111 1111 1111 1111',
  'Email: jane@example.com',
  'Claim: water damage to kitchen ceiling',
] as const;

export async function makePhoto(dir = SAMPLES_DIR): Promise<string> {
  const path = join(dir, 'photo-with-gps.jpg');
  // A portrait scene stored sideways (2000×1500) with orientation 6, as phones store portrait shots:
  // upright only for readers that honour the tag, which is why sanitising bakes it into the pixels.
  const portrait = await (await photoLikeImage(1500, 2000)).png().toBuffer();
  const sideways = await sharp(portrait).rotate(270).jpeg({ quality: 72, mozjpeg: true }).toBuffer();
  writeFileSync(path, sideways);
  runExiftool([
    '-q',
    '-q',
    '-overwrite_original',
    '-Make=ExampleCam',
    '-Model=X100 Example',
    '-SerialNumber=SN-4471-0099',
    '-BodySerialNumber=SN-4471-0099',
    '-LensSerialNumber=LS-2231',
    '-OwnerName=Jane Example',
    '-CameraOwnerName=Jane Example',
    '-Artist=Jane Example',
    '-GPSLatitude=51.500729',
    '-GPSLatitudeRef=N',
    '-GPSLongitude=0.124625',
    '-GPSLongitudeRef=W',
    '-GPSAltitude=12',
    '-DateTimeOriginal=2024:05:01 10:11:12',
    '-Orientation#=6',
    path,
  ]);
  return path;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function makeClaimForm(dir = SAMPLES_DIR): Promise<string> {
  const path = join(dir, 'claim-form.png');
  const width = 1200;
  const height = 900;
  const lines = CLAIM_FORM_LINES.map(
    (line, i) =>
      `<text x="90" y="${260 + i * 100}" font-family="DejaVu Sans" font-size="40" fill="#111">${escapeXml(line)}</text>`,
  ).join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <rect width="100%" height="100%" fill="#fdfdfb"/>
  <text x="90" y="130" font-family="DejaVu Sans" font-weight="bold" font-size="52" fill="#000">INSURANCE CLAIM FORM</text>
  <line x1="90" y1="160" x2="1110" y2="160" stroke="#333" stroke-width="3"/>
  ${lines}
  <rect x="60" y="60" width="1080" height="780" fill="none" stroke="#555" stroke-width="2"/>
</svg>`;
  const png = await sharp(Buffer.from(svg))
    .greyscale()
    .png({ palette: true, colours: 16, compressionLevel: 9 })
    .toBuffer();
  writeFileSync(path, png);
  return path;
}

export async function makeVoiceNote(dir = SAMPLES_DIR): Promise<string> {
  const path = join(dir, 'voice-note.wav');
  const speech = speechWav('claim-call');
  const tagged = await runFfmpeg(
    [
      '-f',
      'wav',
      '-i',
      'pipe:0',
      '-ar',
      '16000',
      '-metadata',
      'title=Voice note from Jane Example',
      '-metadata',
      'artist=Jane Example',
      '-metadata',
      'comment=Recorded at 10 Example Street, London',
      '-c:a',
      'pcm_s16le',
      '-f',
      'wav',
      'pipe:1',
    ],
    { input: speech, timeoutMs: 30_000 },
  );
  // ffmpeg cannot seek a pipe to fill in the RIFF sizes; write them so every reader is happy.
  tagged.writeUInt32LE(tagged.length - 8, 4);
  const dataAt = tagged.indexOf(Buffer.from('data', 'latin1'), 12);
  if (dataAt > 0) tagged.writeUInt32LE(tagged.length - dataAt - 8, dataAt + 4);
  writeFileSync(path, tagged);
  return path;
}

export async function makeSamples(dir = SAMPLES_DIR): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const made = [await makePhoto(dir), await makeClaimForm(dir), await makeVoiceNote(dir)];
  rmSync(join(resolve(import.meta.dirname, '..', 'test', 'fixtures', 'generated'), 'scratch'), {
    recursive: true,
    force: true,
  });
  return made;
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  for (const path of await makeSamples(process.argv[2] ? resolve(process.argv[2]) : SAMPLES_DIR)) {
    process.stdout.write(`${path} (${statSync(path).size} bytes)\n`);
  }
}
