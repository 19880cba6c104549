import { beforeAll, describe, expect, it } from 'vitest';
import { validateAndStrip } from '../../../functions/media/sanitize.js';
import {
  adtsAac,
  flacWithComments,
  m4aWithLocation,
  mp3WithEverything,
  oggVorbisWithComments,
  opusWithTags,
  wavWithInfo,
  webmAudioWithTags,
} from '../../../scripts/make-fixtures.js';
import { exiftoolRead, metadataLeaks } from '../../fixtures/exiftool.js';
import { FFMPEG_BINARIES, useFfmpeg } from '../../fixtures/ffmpeg-binaries.js';

describe.each(FFMPEG_BINARIES)('validateAndStrip on audio with $name', (binary) => {
  const fixtures: Record<string, Buffer> = {};

  beforeAll(async () => {
    const restoreFfmpeg = useFfmpeg(binary);
    fixtures.mp3 = await mp3WithEverything();
    fixtures.m4a = m4aWithLocation();
    fixtures.wav = wavWithInfo();
    fixtures.flac = flacWithComments();
    fixtures.ogg = oggVorbisWithComments();
    fixtures.opus = opusWithTags();
    fixtures.webm = webmAudioWithTags();
    fixtures.aac = adtsAac();
    return restoreFfmpeg;
  });

  const cases = [
    {
      fixture: 'mp3',
      declared: 'audio/mpeg',
      inputType: 'audio/mpeg',
      removed: ['ID3:title', 'ID3:artist', 'ID3:comment', 'CoverArt', 'Chapters'],
    },
    {
      fixture: 'm4a',
      declared: 'audio/x-m4a',
      inputType: 'audio/mp4',
      removed: ['MP4:location', 'MP4:artist', 'MP4:title'],
    },
    {
      fixture: 'wav',
      declared: 'audio/wav',
      inputType: 'audio/wav',
      removed: ['RIFF:title', 'RIFF:artist', 'RIFF:comment', 'RIFF:LIST-INFO', 'RIFF:bext', 'RIFF:iXML'],
    },
    {
      fixture: 'flac',
      declared: 'audio/flac',
      inputType: 'audio/flac',
      removed: ['Vorbis:title', 'Vorbis:artist', 'Vorbis:comment'],
    },
    {
      fixture: 'ogg',
      declared: 'audio/ogg',
      inputType: 'audio/ogg',
      removed: ['Vorbis:title', 'Vorbis:artist'],
    },
    {
      fixture: 'opus',
      declared: 'audio/opus',
      inputType: 'audio/ogg',
      removed: ['Vorbis:title', 'Vorbis:artist'],
    },
    {
      fixture: 'webm',
      declared: 'audio/webm',
      inputType: 'audio/webm',
      removed: ['Matroska:title', 'Matroska:artist'],
    },
    { fixture: 'aac', declared: 'audio/aac', inputType: 'audio/aac', removed: [] },
  ] as const;

  it.each(cases)(
    'strips every tag from $fixture and reports the tag names',
    async ({ fixture, declared, inputType, removed }) => {
      // Prepare
      const input = fixtures[fixture] as Buffer;
      // Act
      const outcome = await validateAndStrip(input, { declaredType: declared });
      // Assess
      if (!outcome.ok) throw new Error(`rejected: ${outcome.rejection.reason} ${outcome.rejection.message}`);
      expect(outcome.inputType).toBe(inputType);
      expect(outcome.outputType).toBe('audio/wav');
      expect(outcome.durationSec).toBeGreaterThan(2);
      expect(outcome.durationSec).toBeLessThan(4);
      expect(outcome.removed).toEqual(expect.arrayContaining([...removed]));
      expect(JSON.stringify(outcome.removed)).not.toMatch(/Jane|Example Street|51\.5/);
      expect(metadataLeaks(outcome.bytes, 'wav')).toEqual([]);
      expect(outcome.bytes.includes(Buffer.from('Jane'))).toBe(false);
    },
  );

  it('the M4A fixture really carries a location that exiftool turns into GPS', () => {
    // Act
    const tags = exiftoolRead(fixtures.m4a as Buffer, 'm4a');
    // Assess
    expect(Object.keys(tags)).toContain('Composite:GPSLatitude');
  });
});
