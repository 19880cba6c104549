import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFfmpegLayer } from '../../../layers/ffmpeg/build.js';
import { packageDir } from '../../../layers/node-packages.js';
import { buildSharpLayer } from '../../../layers/sharp/build.js';

/** Loads sharp from the layer only: run from an empty directory, by absolute path, so node_modules here cannot help. */
const LOAD_FROM_LAYER = `
const sharp = require(process.argv[1]);
sharp({ create: { width: 64, height: 48, channels: 3, background: '#c33' } })
  .jpeg().toBuffer()
  .then((jpeg) => sharp(jpeg).resize(16).png().toBuffer())
  .then((png) => process.stdout.write(JSON.stringify({ vips: sharp.versions.vips, png: png.subarray(1, 4).toString() })));
`;

/** Imports the layer's sharp as the functions' ES modules do, and lists the CommonJS files that came with it. */
const IMPORT_FROM_LAYER = `
const { createRequire } = await import('node:module');
const sharp = (await import(process.argv[1])).default;
const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c33' } }).resize(16).png().toBuffer();
const loaded = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify({ png: png.subarray(1, 4).toString(), loaded }));
`;

describe('Lambda layers', () => {
  it('the x86_64 sharp layer is self-contained: sharp and its libvips load from it alone and resize', () => {
    // Prepare
    const dir = buildSharpLayer('x86_64');
    const empty = mkdtempSync(join(tmpdir(), 'layer-load-'));
    // Act
    const out = execFileSync(
      process.execPath,
      ['-e', LOAD_FROM_LAYER, join(dir, 'nodejs', 'node_modules', 'sharp')],
      {
        cwd: empty,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    rmSync(empty, { recursive: true, force: true });
    // Assess
    expect(existsSync(join(dir, 'nodejs', 'node_modules', '@img', 'sharp-linux-x64'))).toBe(true);
    expect(existsSync(join(dir, 'nodejs', 'node_modules', '@img', 'sharp-libvips-linux-x64'))).toBe(true);
    expect(JSON.parse(out)).toMatchObject({ png: 'PNG' });
  });

  it("the sharp layer's ES module entry is one file: it resizes without loading sharp's dependencies", () => {
    // Prepare
    const dir = buildSharpLayer('x86_64');
    const empty = mkdtempSync(join(tmpdir(), 'layer-import-'));
    const entry = join(dir, 'nodejs', 'node_modules', 'sharp', 'dist', 'index.mjs');
    // Act
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_FROM_LAYER, entry], {
      cwd: empty,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    rmSync(empty, { recursive: true, force: true });
    // Assess: only the addon and libvips' manifest are required at run time.
    const { png, loaded } = JSON.parse(out) as { png: string; loaded: string[] };
    expect(png).toBe('PNG');
    expect(loaded.filter((file) => /node_modules\/(semver|detect-libc|@img\/colour)\//.test(file))).toEqual(
      [],
    );
    expect(loaded.every((file) => file.startsWith(join(dir, 'nodejs', 'node_modules', '@img')))).toBe(true);
  });

  it('the x86_64 ffmpeg layer binary runs with the arguments validation uses', () => {
    // Prepare
    const dir = buildFfmpegLayer('x86_64');
    const ffmpeg = join(dir, 'bin', 'ffmpeg');
    // Act: a tagged tone through the strip arguments, from the layer's binary.
    const wav = execFileSync(
      ffmpeg,
      [
        '-nostdin',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'sine=duration=0.5',
        '-metadata',
        'title=x',
        '-f',
        'wav',
        'pipe:1',
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const stripped = execFileSync(
      ffmpeg,
      [
        '-nostdin',
        '-v',
        'error',
        '-f',
        'wav',
        '-protocol_whitelist',
        'file,pipe',
        '-i',
        'pipe:0',
        '-map',
        '0:a:0',
        '-map_metadata',
        '-1',
        '-fflags',
        '+bitexact',
        '-flags:a',
        '+bitexact',
        '-f',
        'wav',
        'pipe:1',
      ],
      { input: wav },
    );
    // Assess
    expect(stripped.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(stripped.includes(Buffer.from('INAM'))).toBe(false);
    expect(wav.includes(Buffer.from('INAM'))).toBe(true);
  });

  it.skipIf(packageDir('@img/sharp-linux-arm64') !== undefined)(
    'explains how to get the arm64 packages when they are not installed',
    () => {
      // Act / Assess
      expect(() => buildSharpLayer('arm64')).toThrow(/--cpu=arm64 --os=linux/);
      expect(
        existsSync(join(import.meta.dirname, '..', '..', '..', 'layers', 'sharp', 'build', 'arm64')),
      ).toBe(false);
    },
  );
});
