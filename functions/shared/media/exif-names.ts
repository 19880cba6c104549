/**
 * Names (never values) of the EXIF tags in an APP1 payload, so the report can say what was removed:
 * `EXIF:GPSLatitude`, `EXIF:SerialNumber`, `EXIF:OwnerName`, `EXIF:ThumbnailImage`… Reads only the IFD
 * directories, bounds-checks every offset and stops on loops: the payload is hostile input.
 */

const IFD_TAGS: Readonly<Record<number, string>> = {
  0x010e: 'ImageDescription',
  0x010f: 'Make',
  0x0110: 'Model',
  0x0112: 'Orientation',
  0x011a: 'XResolution',
  0x011b: 'YResolution',
  0x0128: 'ResolutionUnit',
  0x0131: 'Software',
  0x0132: 'ModifyDate',
  0x013b: 'Artist',
  0x013c: 'HostComputer',
  0x0213: 'YCbCrPositioning',
  0x0201: 'ThumbnailOffset',
  0x0202: 'ThumbnailLength',
  0x0103: 'Compression',
  0x8298: 'Copyright',
  0x8769: 'ExifOffset',
  0x8825: 'GPSInfo',
  0x829a: 'ExposureTime',
  0x829d: 'FNumber',
  0x8822: 'ExposureProgram',
  0x8827: 'ISO',
  0x9000: 'ExifVersion',
  0x9003: 'DateTimeOriginal',
  0x9004: 'CreateDate',
  0x9010: 'OffsetTime',
  0x9011: 'OffsetTimeOriginal',
  0x9012: 'OffsetTimeDigitized',
  0x9101: 'ComponentsConfiguration',
  0x9201: 'ShutterSpeedValue',
  0x9202: 'ApertureValue',
  0x9204: 'ExposureCompensation',
  0x9207: 'MeteringMode',
  0x9209: 'Flash',
  0x920a: 'FocalLength',
  0x927c: 'MakerNote',
  0x9286: 'UserComment',
  0x9290: 'SubSecTime',
  0x9291: 'SubSecTimeOriginal',
  0x9292: 'SubSecTimeDigitized',
  0xa000: 'FlashpixVersion',
  0xa001: 'ColorSpace',
  0xa002: 'ExifImageWidth',
  0xa003: 'ExifImageHeight',
  0xa005: 'InteropOffset',
  0xa402: 'ExposureMode',
  0xa403: 'WhiteBalance',
  0xa405: 'FocalLengthIn35mmFormat',
  0xa406: 'SceneCaptureType',
  0xa420: 'ImageUniqueID',
  0xa430: 'OwnerName',
  0xa431: 'SerialNumber',
  0xa432: 'LensInfo',
  0xa433: 'LensMake',
  0xa434: 'LensModel',
  0xa435: 'LensSerialNumber',
  0x0001: 'InteropIndex',
  0x0002: 'InteropVersion',
};

const GPS_TAGS: Readonly<Record<number, string>> = {
  0x0000: 'GPSVersionID',
  0x0001: 'GPSLatitudeRef',
  0x0002: 'GPSLatitude',
  0x0003: 'GPSLongitudeRef',
  0x0004: 'GPSLongitude',
  0x0005: 'GPSAltitudeRef',
  0x0006: 'GPSAltitude',
  0x0007: 'GPSTimeStamp',
  0x0008: 'GPSSatellites',
  0x000c: 'GPSSpeedRef',
  0x000d: 'GPSSpeed',
  0x0010: 'GPSImgDirectionRef',
  0x0011: 'GPSImgDirection',
  0x0012: 'GPSMapDatum',
  0x001b: 'GPSProcessingMethod',
  0x001d: 'GPSDateStamp',
};

const MAX_ENTRIES = 4096;

function tagName(table: Readonly<Record<number, string>>, tag: number): string {
  return table[tag] ?? `0x${tag.toString(16).padStart(4, '0')}`;
}

/** EXIF tag names found in sharp's `metadata().exif` (which starts with `Exif\0\0`) or a bare TIFF header. */
export function exifTagNames(exif: Buffer, options: { namedOnly?: boolean } = {}): string[] {
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
  if (tiff.length < 8) return ['EXIF'];
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return ['EXIF'];
  const le = order === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const names = new Set<string>();
  const visited = new Set<number>();
  let budget = MAX_ENTRIES;

  const walk = (offset: number, table: Readonly<Record<number, string>>, isThumbnailIfd: boolean): number => {
    if (offset < 8 || offset + 2 > tiff.length || visited.has(offset)) return 0;
    visited.add(offset);
    const count = u16(offset);
    for (let i = 0; i < count && budget > 0; i++, budget--) {
      const entry = offset + 2 + i * 12;
      if (entry + 12 > tiff.length) break;
      const tag = u16(entry);
      const value = u32(entry + 8);
      if (table === IFD_TAGS && tag === 0x8769) walk(value, IFD_TAGS, false);
      else if (table === IFD_TAGS && tag === 0x8825) walk(value, GPS_TAGS, false);
      else if (table === IFD_TAGS && tag === 0xa005) walk(value, IFD_TAGS, false);
      else if (isThumbnailIfd && (tag === 0x0201 || tag === 0x0202)) names.add('EXIF:ThumbnailImage');
      else if (!options.namedOnly || table[tag] !== undefined) names.add(`EXIF:${tagName(table, tag)}`);
    }
    const nextAt = offset + 2 + count * 12;
    return nextAt + 4 <= tiff.length ? u32(nextAt) : 0;
  };

  const ifd1 = walk(u32(4), IFD_TAGS, false);
  if (ifd1) walk(ifd1, IFD_TAGS, true);
  return names.size > 0 ? [...names] : ['EXIF'];
}
