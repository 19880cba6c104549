/**
 * Structure-only scans of JPEG and PNG files: which metadata segments/chunks they carry and whether bytes
 * follow the end of the image (polyglots such as a JPEG with a ZIP appended). Names only, never contents.
 */

/** Segment names for a JPEG's APPn/COM segments, plus `TrailingData` when bytes follow the EOI marker. */
export function jpegMetadataSegments(input: Buffer): string[] {
  const names = new Set<string>();
  let at = 2;
  while (at + 4 <= input.length) {
    if (input[at] !== 0xff) break;
    const marker = input[at + 1] ?? 0;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd9) break;
    const length = input.readUInt16BE(at + 2);
    const body = input.subarray(at + 4, Math.min(input.length, at + 2 + length));
    if (marker === 0xfe) names.add('JPEG:Comment');
    else if (marker >= 0xe1 && marker <= 0xef) names.add(appSegmentName(marker - 0xe0, body));
    if (marker === 0xda) {
      // Inside the entropy-coded data 0xFF is always stuffed, so the first FF D9 after the first scan is EOI.
      const eoi = input.indexOf(Buffer.from([0xff, 0xd9]), at + 2 + length);
      if (eoi >= 0 && hasTrailingData(input, eoi + 2)) names.add('TrailingData');
      break;
    }
    at += 2 + length;
  }
  return [...names];
}

function appSegmentName(n: number, body: Buffer): string {
  const signature = body.subarray(0, 32).toString('latin1');
  if (n === 1 && signature.startsWith('Exif\0')) return 'EXIF';
  if (n === 1 && signature.startsWith('http://ns.adobe.com/xap/1.0/')) return 'XMP';
  if (n === 1 && signature.startsWith('http://ns.adobe.com/xmp/extension/')) return 'XMP';
  if (n === 2 && signature.startsWith('ICC_PROFILE')) return 'ICC_Profile';
  // MPF carries extra images (depth maps, previews) inside the same file.
  if (n === 2 && signature.startsWith('MPF')) return 'MPF';
  if (n === 13 && signature.startsWith('Photoshop 3.0')) return 'Photoshop';
  if (n === 14 && signature.startsWith('Adobe')) return 'JPEG:Adobe';
  return `JPEG:APP${n}`;
}

function hasTrailingData(input: Buffer, from: number): boolean {
  // Some encoders pad with a few zero bytes; only content counts.
  for (let i = from; i < input.length; i++) if (input[i] !== 0) return true;
  return false;
}

/** Chunks that only describe how to draw the pixels; everything else in a PNG is metadata. */
const PNG_IMAGE_CHUNKS = new Set([
  'IHDR',
  'PLTE',
  'IDAT',
  'IEND',
  'tRNS',
  'gAMA',
  'cHRM',
  'sRGB',
  'pHYs',
  'sBIT',
  'bKGD',
  'acTL',
  'fcTL',
  'fdAT',
]);

const PNG_CHUNK_NAMES: Readonly<Record<string, string>> = {
  tEXt: 'PNG:Text',
  zTXt: 'PNG:Text',
  iTXt: 'PNG:Text',
  eXIf: 'EXIF',
  iCCP: 'ICC_Profile',
  tIME: 'PNG:ModifyDate',
};

/** Metadata chunk names of a PNG, plus `TrailingData` when bytes follow IEND. */
export function pngMetadataChunks(input: Buffer): string[] {
  const names = new Set<string>();
  let at = 8;
  while (at + 8 <= input.length) {
    const length = input.readUInt32BE(at);
    const type = input.toString('latin1', at + 4, at + 8);
    const next = at + 12 + length;
    if (type === 'IEND') {
      if (hasTrailingData(input, Math.min(next, input.length))) names.add('TrailingData');
      break;
    }
    if (!PNG_IMAGE_CHUNKS.has(type)) {
      names.add(PNG_CHUNK_NAMES[type] ?? (/^[A-Za-z]{4}$/.test(type) ? `PNG:${type}` : 'PNG:Unknown'));
    }
    if (next <= at) break;
    at = next;
  }
  return [...names];
}

/** Skips GIF data sub-blocks (length-prefixed, ended by a zero length); returns the offset after them. */
function skipSubBlocks(input: Buffer, at: number): number {
  let offset = at;
  while (offset < input.length) {
    const size = input[offset] ?? 0;
    offset += 1 + size;
    if (size === 0) break;
  }
  return offset;
}

/** Comment, XMP and other application extensions of a GIF, plus `TrailingData` after its trailer. */
export function gifMetadataBlocks(input: Buffer): string[] {
  const names = new Set<string>();
  if (input.length < 13) return [];
  const flags = input[10] ?? 0;
  let at = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0);
  while (at < input.length) {
    const introducer = input[at];
    if (introducer === 0x3b) {
      if (hasTrailingData(input, at + 1)) names.add('TrailingData');
      break;
    }
    if (introducer === 0x21) {
      const label = input[at + 1];
      if (label === 0xfe) names.add('GIF:Comment');
      else if (label === 0x01) names.add('GIF:PlainText');
      else if (label === 0xff) {
        const app = input.toString('latin1', at + 3, at + 14);
        if (app === 'XMP DataXMP') names.add('XMP');
        else if (app.startsWith('ICCRGBG1')) names.add('ICC_Profile');
        else if (app !== 'NETSCAPE2.0' && app !== 'ANIMEXTS1.0') names.add('GIF:Application');
      }
      at = skipSubBlocks(input, at + 2);
    } else if (introducer === 0x2c) {
      const localFlags = input[at + 9] ?? 0;
      at += 10 + (localFlags & 0x80 ? 3 * 2 ** ((localFlags & 0x07) + 1) : 0);
      at = skipSubBlocks(input, at + 1);
    } else {
      break;
    }
  }
  return [...names];
}

/** Chunks that describe the audio itself. */
const AUDIO_CHUNKS = new Set(['fmt ', 'data', 'fact', 'PEAK', 'JUNK', 'junk', 'PAD ', 'FLLR']);

/** RIFF chunks of a WAV that are metadata (INFO, bext, iXML, embedded ID3, XMP, cart…), by name. */
export function wavMetadataChunks(input: Buffer): string[] {
  const names = new Set<string>();
  const known: Readonly<Record<string, string>> = {
    bext: 'RIFF:bext',
    iXML: 'RIFF:iXML',
    'id3 ': 'ID3',
    ID3: 'ID3',
    _PMX: 'XMP',
    cart: 'RIFF:cart',
    axml: 'RIFF:axml',
  };
  let at = 12;
  while (at + 8 <= input.length) {
    const id = input.toString('latin1', at, at + 4);
    const size = input.readUInt32LE(at + 4);
    const listType = input.toString('latin1', at + 8, at + 12);
    const name = known[id] ?? known[id.trim()];
    if (id === 'LIST') names.add(`RIFF:LIST-${/^[A-Za-z ]{4}$/.test(listType) ? listType.trim() : 'other'}`);
    else if (name) names.add(name);
    else if (!AUDIO_CHUNKS.has(id))
      names.add(/^[\x20-\x7e]{4}$/.test(id) ? `RIFF:${id.trim()}` : 'RIFF:unknown');
    if (id === 'data' && (size === 0 || size === 0xffffffff)) break;
    const next = at + 8 + size + (size % 2);
    if (next <= at) break;
    at = next;
  }
  return [...names];
}
