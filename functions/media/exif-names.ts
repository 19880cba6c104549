/**
 * Names (never values) of the EXIF tags in an APP1 payload, so the report can say what was removed:
 * `EXIF:GPSLatitude`, `EXIF:SerialNumber`, `EXIF:OwnerName`, `EXIF:ThumbnailImage`… Reads only the IFD
 * directories, bounds-checks every offset and stops on loops: the payload is hostile input.
 */

const IFD_TAGS: Readonly<Record<number, string>> = {
  270: 'ImageDescription',
  271: 'Make',
  272: 'Model',
  274: 'Orientation',
  282: 'XResolution',
  283: 'YResolution',
  296: 'ResolutionUnit',
  305: 'Software',
  306: 'ModifyDate',
  315: 'Artist',
  316: 'HostComputer',
  531: 'YCbCrPositioning',
  513: 'ThumbnailOffset',
  514: 'ThumbnailLength',
  259: 'Compression',
  33432: 'Copyright',
  34665: 'ExifOffset',
  34853: 'GPSInfo',
  33434: 'ExposureTime',
  33437: 'FNumber',
  34850: 'ExposureProgram',
  34855: 'ISO',
  36864: 'ExifVersion',
  36867: 'DateTimeOriginal',
  36868: 'CreateDate',
  36880: 'OffsetTime',
  36881: 'OffsetTimeOriginal',
  36882: 'OffsetTimeDigitized',
  37121: 'ComponentsConfiguration',
  37377: 'ShutterSpeedValue',
  37378: 'ApertureValue',
  37380: 'ExposureCompensation',
  37383: 'MeteringMode',
  37385: 'Flash',
  37386: 'FocalLength',
  37500: 'MakerNote',
  37510: 'UserComment',
  37520: 'SubSecTime',
  37521: 'SubSecTimeOriginal',
  37522: 'SubSecTimeDigitized',
  40960: 'FlashpixVersion',
  40961: 'ColorSpace',
  40962: 'ExifImageWidth',
  40963: 'ExifImageHeight',
  40965: 'InteropOffset',
  41986: 'ExposureMode',
  41987: 'WhiteBalance',
  41989: 'FocalLengthIn35mmFormat',
  41990: 'SceneCaptureType',
  42016: 'ImageUniqueID',
  42032: 'OwnerName',
  42033: 'SerialNumber',
  42034: 'LensInfo',
  42035: 'LensMake',
  42036: 'LensModel',
  42037: 'LensSerialNumber',
  1: 'InteropIndex',
  2: 'InteropVersion',
};

const GPS_TAGS: Readonly<Record<number, string>> = {
  0: 'GPSVersionID',
  1: 'GPSLatitudeRef',
  2: 'GPSLatitude',
  3: 'GPSLongitudeRef',
  4: 'GPSLongitude',
  5: 'GPSAltitudeRef',
  6: 'GPSAltitude',
  7: 'GPSTimeStamp',
  8: 'GPSSatellites',
  12: 'GPSSpeedRef',
  13: 'GPSSpeed',
  16: 'GPSImgDirectionRef',
  17: 'GPSImgDirection',
  18: 'GPSMapDatum',
  27: 'GPSProcessingMethod',
  29: 'GPSDateStamp',
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
