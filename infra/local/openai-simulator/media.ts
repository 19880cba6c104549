/**
 * What the simulator needs to know about the media it receives: image dimensions (to bill tiles) and
 * audio duration (to bill audio tokens). It reads them from the bytes, as OpenAI does, rather than
 * trusting anything the client says.
 */
import sharp from 'sharp';

export interface DecodedDataUrl {
  readonly mime: string;
  readonly bytes: Buffer;
}

export function decodeDataUrl(url: string): DecodedDataUrl | undefined {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { mime: match[1], bytes: Buffer.from(match[2], 'base64') };
}

export async function imageSize(bytes: Buffer): Promise<{ width: number; height: number } | undefined> {
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.width || !meta.height) return undefined;
    return { width: meta.width, height: meta.height };
  } catch {
    return undefined;
  }
}

/** Duration of a RIFF/WAVE file from its `fmt ` byte rate and `data` chunk size. */
export function wavDurationSeconds(bytes: Buffer): number | undefined {
  if (
    bytes.length < 12 ||
    bytes.toString('ascii', 0, 4) !== 'RIFF' ||
    bytes.toString('ascii', 8, 12) !== 'WAVE'
  ) {
    return undefined;
  }
  let offset = 12;
  let byteRate: number | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    let size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 12 <= bytes.length) byteRate = bytes.readUInt32LE(body + 8);
    if (id === 'data') {
      // Streamed WAVs (ffmpeg to a pipe) leave the size at 0 or 0xFFFFFFFF: take what is there.
      if (size === 0 || size === 0xffffffff || body + size > bytes.length) size = bytes.length - body;
      return byteRate ? size / byteRate : undefined;
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

const MP3_BITRATES_KBPS = {
  v1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
} as const;
const MP3_SAMPLE_RATES: Record<number, readonly number[]> = {
  3: [44_100, 48_000, 32_000],
  2: [22_050, 24_000, 16_000],
  0: [11_025, 12_000, 8_000],
};

/** Duration of an MPEG Layer III stream, by walking its frames (exact for CBR and VBR alike). */
export function mp3DurationSeconds(bytes: Buffer): number | undefined {
  let offset = 0;
  if (bytes.length >= 10 && bytes.toString('ascii', 0, 3) === 'ID3') {
    const size = ((bytes[6] ?? 0) << 21) | ((bytes[7] ?? 0) << 14) | ((bytes[8] ?? 0) << 7) | (bytes[9] ?? 0);
    const footer = ((bytes[5] ?? 0) & 0x10) !== 0 ? 10 : 0;
    offset = 10 + size + footer;
  }
  let seconds = 0;
  let frames = 0;
  while (offset + 4 <= bytes.length) {
    const b1 = bytes[offset + 1] ?? 0;
    const b2 = bytes[offset + 2] ?? 0;
    const layer = (b1 >> 1) & 0x3;
    if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0 || layer !== 1) {
      offset++;
      continue;
    }
    const version = (b1 >> 3) & 0x3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    const bitrate = (version === 3 ? MP3_BITRATES_KBPS.v1 : MP3_BITRATES_KBPS.v2)[(b2 >> 4) & 0xf];
    const sampleRate = MP3_SAMPLE_RATES[version]?.[(b2 >> 2) & 0x3];
    if (!bitrate || !sampleRate) {
      offset++;
      continue;
    }
    const padding = (b2 >> 1) & 0x1;
    const samples = version === 3 ? 1152 : 576;
    const length = Math.floor(((samples / 8) * bitrate * 1000) / sampleRate) + padding;
    seconds += samples / sampleRate;
    frames++;
    offset += length;
  }
  return frames > 0 ? seconds : undefined;
}

export function audioDurationSeconds(bytes: Buffer, format: string): number | undefined {
  if (format === 'wav') return wavDurationSeconds(bytes);
  if (format === 'mp3') return mp3DurationSeconds(bytes);
  return wavDurationSeconds(bytes) ?? mp3DurationSeconds(bytes);
}
