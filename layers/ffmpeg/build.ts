/**
 * Assembles the ffmpeg layer (bin/ffmpeg, found by functions at /opt/bin/ffmpeg). The default binary is
 * the static build shipped in the @ffmpeg-installer npm package, which is old; a vetted newer static
 * binary can be used instead by pointing MEDIAGATE_FFMPEG_BINARY at it (see docs/architecture.md).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageDir } from '../node-packages.js';

const LAYER_ROOT = import.meta.dirname;

export type LayerArchitecture = 'x86_64' | 'arm64';

export function ffmpegBinaryFor(arch: LayerArchitecture, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MEDIAGATE_FFMPEG_BINARY) return env.MEDIAGATE_FFMPEG_BINARY;
  const pkg = arch === 'arm64' ? '@ffmpeg-installer/linux-arm64' : '@ffmpeg-installer/linux-x64';
  const dir = packageDir(pkg);
  if (dir) return path.join(dir, 'ffmpeg');
  throw new Error(
    `${pkg} is not installed, so the ffmpeg layer cannot be built for ${arch}. Install it with ` +
      `npm install --no-save --force ${pkg}, or set MEDIAGATE_FFMPEG_BINARY to a static ffmpeg for ${arch}.`,
  );
}

export function buildFfmpegLayer(arch: LayerArchitecture): string {
  const source = ffmpegBinaryFor(arch);
  if (!fs.existsSync(source)) throw new Error(`ffmpeg binary not found at ${source}`);
  const out = path.join(LAYER_ROOT, 'build', arch);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, 'bin'), { recursive: true });
  fs.copyFileSync(source, path.join(out, 'bin', 'ffmpeg'));
  fs.chmodSync(path.join(out, 'bin', 'ffmpeg'), 0o755);
  return out;
}
