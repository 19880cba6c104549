/**
 * Assembles the sharp layer (nodejs/node_modules/{sharp,@img/...}) for one Lambda architecture from the
 * packages npm installed here. Offline: nothing is downloaded. For arm64 on an x64 machine, install the
 * arm64 packages first: `npm install --no-save --cpu=arm64 --os=linux --libc=glibc sharp`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageDir } from '../node-packages.js';

const LAYER_ROOT = import.meta.dirname;

export type LayerArchitecture = 'x86_64' | 'arm64';

/** sharp plus its runtime dependencies and the prebuilt binaries for linux-<arch> (glibc). */
export function sharpLayerPackages(arch: LayerArchitecture): string[] {
  const platform = arch === 'arm64' ? 'linux-arm64' : 'linux-x64';
  const sharpDir = packageDir('sharp');
  if (!sharpDir) throw new Error('sharp is not installed; run npm ci');
  const manifest = JSON.parse(fs.readFileSync(path.join(sharpDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return [
    'sharp',
    ...Object.keys(manifest.dependencies ?? {}),
    `@img/sharp-${platform}`,
    `@img/sharp-libvips-${platform}`,
  ];
}

export function buildSharpLayer(arch: LayerArchitecture): string {
  const out = path.join(LAYER_ROOT, 'build', arch);
  // Every package is located before anything is copied, so a missing one leaves no half-built layer.
  const sources = sharpLayerPackages(arch).map((name) => {
    const dir = packageDir(name);
    if (!dir) {
      throw new Error(
        `${name} is not installed, so the sharp layer cannot be built for ${arch}. ` +
          `Install it with: npm install --no-save --cpu=${arch === 'arm64' ? 'arm64' : 'x64'} --os=linux --libc=glibc sharp`,
      );
    }
    return { name, dir };
  });
  fs.rmSync(out, { recursive: true, force: true });
  for (const { name, dir } of sources) {
    fs.cpSync(dir, path.join(out, 'nodejs', 'node_modules', name), { recursive: true, dereference: true });
  }
  return out;
}
