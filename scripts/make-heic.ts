/**
 * Makes the committed HEIC fixture in test/fixtures/heic/: no npm package encodes HEVC, so, as for the
 * speech clips, the file is made once with a system tool and committed, and tests only read it.
 *
 * `iphone-gps.heic` is what an iPhone uploads: a 480×360 sensor image stored sideways with the EXIF an
 * iPhone writes (GPS position, make/model, body and lens serials, owner, dates, orientation 6) in an
 * `Exif` item, which libheif's `heif-enc` copies from the JPEG it encodes. Apple also records the
 * rotation as a HEIF `irot` property, which is what HEIF readers must apply (the EXIF tag is only a
 * hint); heif-enc 1.15 does not write one, so `withIrot` adds it to the container afterwards. Displayed
 * upright the image is 360×480 with a red block in its top-left corner (`UPRIGHT_MARKER`), which is how
 * the tests check that the orientation was applied.
 *
 *   apt-get install libheif-examples && npx tsx scripts/make-heic.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { runExiftool } from './fixture-tools.js';
import { CAMERA_TAGS, photoLikeImage } from './make-fixtures.js';

export const HEIC_DIR = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'heic');
export const IPHONE_HEIC = join(HEIC_DIR, 'iphone-gps.heic');
/** Upright, the image is this wide and high, with a red square of `side` px at its top-left corner. */
export const UPRIGHT_MARKER = { width: 360, height: 480, side: 90 } as const;

/** The upright scene: a photo with a red square in the top-left corner. */
async function uprightScene(): Promise<Buffer> {
  const { width, height, side } = UPRIGHT_MARKER;
  const red = await sharp({
    create: { width: side, height: side, channels: 3, background: { r: 230, g: 0, b: 0 } },
  })
    .png()
    .toBuffer();
  return (await photoLikeImage(width, height))
    .composite([{ input: red, left: 0, top: 0 }])
    .png()
    .toBuffer();
}

export async function makeIphoneHeic(): Promise<string> {
  mkdirSync(HEIC_DIR, { recursive: true });
  const jpeg = join(HEIC_DIR, 'source.jpg');
  // Stored sideways (rotated 90° anticlockwise): orientation 6 tells a viewer to turn it clockwise.
  writeFileSync(
    jpeg,
    await sharp(await uprightScene())
      .rotate(270)
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
  try {
    runExiftool([
      '-q',
      '-q',
      '-overwrite_original',
      ...CAMERA_TAGS,
      '-Make=Apple',
      '-Model=iPhone 15 Pro',
      '-BodySerialNumber=F2LZK0XXXXX1',
      '-Orientation#=6',
      jpeg,
    ]);
    execFileSync('heif-enc', ['-q', '60', '-o', IPHONE_HEIC, jpeg], { stdio: ['ignore', 'pipe', 'pipe'] });
    // irot angle 3: 270° anticlockwise, i.e. turn the stored image 90° clockwise to display it.
    writeFileSync(IPHONE_HEIC, withIrot(readFileSync(IPHONE_HEIC), 3));
  } finally {
    rmSync(jpeg, { force: true });
  }
  return IPHONE_HEIC;
}

interface Box {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  /** Where the children (or the payload) begin. */
  readonly body: number;
}

function boxesIn(file: Buffer, from: number, to: number): Box[] {
  const boxes: Box[] = [];
  for (let at = from; at + 8 <= to; ) {
    const size = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    boxes.push({ type, start: at, end: at + size, body: at + 8 });
    at += size;
  }
  return boxes;
}

function child(file: Buffer, parent: Box, type: string, fullBox = false): Box {
  const found = boxesIn(file, parent.body + (fullBox ? 4 : 0), parent.end).find((b) => b.type === type);
  if (!found) throw new Error(`no ${type} box in ${parent.type}`);
  return found;
}

/**
 * Adds an essential `irot` property to the primary item: a 9-byte box at the end of `ipco`, one more
 * association byte in the primary item's `ipma` entry, the enclosing box sizes grown to match, and every
 * `iloc` extent (all in `mdat`, after `meta`) moved by the bytes inserted before it.
 */
export function withIrot(heic: Buffer, angle: 1 | 2 | 3): Buffer {
  const file = Buffer.from(heic);
  const meta = boxesIn(file, 0, file.length).find((b) => b.type === 'meta');
  if (!meta) throw new Error('no meta box');
  const metaChild = (type: string) => child(file, { ...meta, body: meta.body + 4 }, type);
  const primaryId = file.readUInt16BE(metaChild('pitm').body + 4);
  const iprp = metaChild('iprp');
  const ipco = child(file, iprp, 'ipco');
  const ipma = child(file, iprp, 'ipma');
  const propertyIndex = boxesIn(file, ipco.body, ipco.end).length + 1;
  const ipmaVersion = file[ipma.body] ?? 0;
  const ipmaWide = ((file[ipma.body + 3] ?? 0) & 1) === 1;
  if (ipmaVersion !== 0 || ipmaWide || propertyIndex > 127) throw new Error('unexpected ipma layout');
  // Find the primary item's entry: item_ID(2) association_count(1) associations(1 each).
  let entry = ipma.body + 8;
  for (let n = file.readUInt32BE(ipma.body + 4); n > 0; n--) {
    if (file.readUInt16BE(entry) === primaryId) break;
    entry += 3 + (file[entry + 2] ?? 0);
  }
  const associations = file[entry + 2] ?? 0;
  const associationEnd = entry + 3 + associations;
  const irot = Buffer.from([0, 0, 0, 9, ...Buffer.from('irot', 'latin1'), angle]);
  const inserted = 1 + irot.length;
  if (ipco.end > ipma.start) throw new Error('expected ipco before ipma');
  const grown = Buffer.concat([
    file.subarray(0, ipco.end),
    irot,
    file.subarray(ipco.end, associationEnd),
    Buffer.from([0x80 | propertyIndex]),
    file.subarray(associationEnd),
  ]);
  grown[entry + irot.length + 2] = associations + 1;
  for (const [box, delta] of [
    [meta, inserted],
    [iprp, inserted],
    [ipco, irot.length],
  ] as const) {
    grown.writeUInt32BE(box.end - box.start + delta, box.start);
  }
  grown.writeUInt32BE(ipma.end - ipma.start + 1, ipma.start + irot.length);
  shiftIlocOffsets(grown, { ...meta, end: meta.end + inserted }, inserted);
  return grown;
}

function shiftIlocOffsets(file: Buffer, meta: Box, delta: number): void {
  const iloc = child(file, { ...meta, body: meta.body + 4 }, 'iloc');
  let at = iloc.body;
  const version = file[at] ?? 0;
  at += 4;
  const offsetSize = (file[at] ?? 0) >> 4;
  const lengthSize = (file[at] ?? 0) & 15;
  const baseOffsetSize = (file[at + 1] ?? 0) >> 4;
  const indexSize = version >= 1 ? (file[at + 1] ?? 0) & 15 : 0;
  at += 2;
  const read = (size: number, where: number) =>
    size === 0 ? 0 : size === 4 ? file.readUInt32BE(where) : Number(file.readBigUInt64BE(where));
  const write = (size: number, where: number, value: number) => {
    if (size === 4) file.writeUInt32BE(value, where);
    else if (size === 8) file.writeBigUInt64BE(BigInt(value), where);
  };
  const idSize = version === 2 ? 4 : 2;
  const count = version === 2 ? file.readUInt32BE(at) : file.readUInt16BE(at);
  at += idSize;
  for (let item = 0; item < count; item++) {
    at += idSize;
    const constructionMethod = version >= 1 ? file.readUInt16BE(at) & 15 : 0;
    if (version >= 1) at += 2;
    at += 2; // data_reference_index
    const baseOffset = read(baseOffsetSize, at);
    if (constructionMethod === 0 && baseOffset > 0) write(baseOffsetSize, at, baseOffset + delta);
    at += baseOffsetSize;
    const extents = file.readUInt16BE(at);
    at += 2;
    for (let e = 0; e < extents; e++) {
      at += indexSize;
      if (constructionMethod === 0 && baseOffset === 0) write(offsetSize, at, read(offsetSize, at) + delta);
      at += offsetSize + lengthSize;
    }
  }
}

export function iphoneHeic(): Buffer {
  return readFileSync(IPHONE_HEIC);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = await makeIphoneHeic();
  console.log(`wrote ${path}`);
}
