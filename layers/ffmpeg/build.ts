/**
 * Assembles the ffmpeg layer (bin/ffmpeg, found by functions at /opt/bin/ffmpeg). The default binary is
 * the static build shipped in the @ffmpeg-installer npm package, which is old; a vetted newer static
 * binary can be used instead by pointing MEDIAGATE_FFMPEG_BINARY at it (see docs/architecture.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLayer, type LayerRecipe, packageInput, scriptInput } from '../layer-build.js';
import { packageDir } from '../node-packages.js';

const LAYER_ROOT = import.meta.dirname;

export type LayerArchitecture = 'x86_64' | 'arm64';

function ffmpegPackage(arch: LayerArchitecture): string {
  return arch === 'arm64' ? '@ffmpeg-installer/linux-arm64' : '@ffmpeg-installer/linux-x64';
}

export function ffmpegBinaryFor(arch: LayerArchitecture, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MEDIAGATE_FFMPEG_BINARY) return env.MEDIAGATE_FFMPEG_BINARY;
  const pkg = ffmpegPackage(arch);
  const dir = packageDir(pkg);
  if (dir) return path.join(dir, 'ffmpeg');
  throw new Error(
    `${pkg} is not installed, so the ffmpeg layer cannot be built for ${arch}. Install it with ` +
      `npm install --no-save --force ${pkg}, or set MEDIAGATE_FFMPEG_BINARY to a static ffmpeg for ${arch}.`,
  );
}

/** The ffmpeg layer for `arch`: the binary (its package's version, or a given file's size and time) and this script. */
export function ffmpegLayer(arch: LayerArchitecture): LayerRecipe {
  const given = process.env.MEDIAGATE_FFMPEG_BINARY;
  const givenFile = given ? fs.statSync(given, { throwIfNoEntry: false }) : undefined;
  const binary = given
    ? `${given} ${givenFile ? `${givenFile.size} ${givenFile.mtimeMs}` : 'missing'}`
    : packageInput(ffmpegPackage(arch));
  return {
    name: `ffmpeg-${arch}`,
    inputs: [scriptInput(import.meta.filename), binary],
    assemble(out) {
      const source = ffmpegBinaryFor(arch);
      if (!fs.existsSync(source)) throw new Error(`ffmpeg binary not found at ${source}`);
      fs.mkdirSync(path.join(out, 'bin'), { recursive: true });
      fs.copyFileSync(source, path.join(out, 'bin', 'ffmpeg'));
      fs.chmodSync(path.join(out, 'bin', 'ffmpeg'), 0o755);
    },
  };
}

export function buildFfmpegLayer(arch: LayerArchitecture): string {
  return buildLayer(LAYER_ROOT, ffmpegLayer(arch));
}
