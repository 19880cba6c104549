import { describe, expect, it } from 'vitest';
import { parseFfmpegProbe } from '../../../functions/media/audio.js';

const STATIC_2018 = `Input #0, mp3, from 'file:/tmp/x.bin':
  Metadata:
    title           : Secret Title
    artist          : Jane Example
  Duration: 00:01:02.50, start: 0.025057, bitrate: 130 kb/s
    Chapter #0:0: start 0.000000, end 1.000000
    Metadata:
      title           : Chapter One
    Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 128 kb/s
    Stream #0:1: Video: mjpeg, yuvj420p(pc, bt470bg/unknown/unknown), 300x300, 90k tbr, 90k tbn, 90k tbc
    Metadata:
      comment         : Cover (front)
At least one output file must be specified
`;

const DEBIAN_5 = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/tmp/y.bin':
  Metadata:
    major_brand     : M4A
    location        : +51.5007-000.1246/
    comment         : line one
                    : line two
  Duration: 00:00:02.79, start: 0.000000, bitrate: 66 kb/s
  Stream #0:0[0x1](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1(side), fltp, 62 kb/s (default)
    Metadata:
      handler_name    : SoundHandler
  Stream #0:1[0x2](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 64x48, 5 fps (default)
  Stream #0:2: Video: png, rgba(pc), 120x120, 90k tbr, 90k tbn (attached pic)
`;

describe('parseFfmpegProbe', () => {
  it('reads the 2018 static build: duration, layout, tag names, chapters and unmarked cover art', () => {
    // Act
    const probe = parseFfmpegProbe(STATIC_2018, 'mp3');
    // Assess
    expect(probe).toMatchObject({
      durationSec: 62.5,
      channels: 2,
      sampleRate: 44100,
      audioStreams: 1,
      videoStreams: 0,
    });
    expect(probe?.removed).toEqual(['Chapters', 'CoverArt', 'ID3:artist', 'ID3:comment', 'ID3:title']);
  });

  it('reads newer ffmpeg: stream ids, 5.1(side), multi-line values, real video versus attached pictures', () => {
    // Act
    const probe = parseFfmpegProbe(DEBIAN_5, 'm4a');
    // Assess
    expect(probe).toMatchObject({
      durationSec: 2.79,
      channels: 6,
      sampleRate: 48000,
      audioStreams: 1,
      videoStreams: 1,
    });
    expect(probe?.removed).toEqual(
      expect.arrayContaining(['MP4:location', 'MP4:comment', 'MP4:handler_name', 'CoverArt']),
    );
  });

  it('never carries a tag value into the report', () => {
    // Act
    const names = JSON.stringify([parseFfmpegProbe(STATIC_2018, 'mp3'), parseFfmpegProbe(DEBIAN_5, 'm4a')]);
    // Assess
    expect(names).not.toMatch(/Secret|Jane|51\.5|line two|Cover \(front\)/);
  });

  it('returns null when ffmpeg could not open the input', () => {
    expect(parseFfmpegProbe('file:/tmp/z.bin: Invalid data found when processing input\n', 'wav')).toBeNull();
  });
});
