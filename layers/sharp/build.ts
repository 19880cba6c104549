/**
 * Assembles the sharp layer (nodejs/node_modules/{sharp,@img/...}) for one Lambda architecture from the
 * packages npm installed here. Offline: nothing is downloaded. For arm64 on an x64 machine, install the
 * arm64 packages first: `npm install --no-save --cpu=arm64 --os=linux --libc=glibc sharp`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync, version as esbuildVersion } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../../infra/bundling.js';
import { buildLayer, type LayerRecipe, packageInput, scriptInput } from '../layer-build.js';
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

/** The sharp layer for `arch`: sharp's packages (by version), its bundled ES entry and this script. */
export function sharpLayer(arch: LayerArchitecture): LayerRecipe {
  const packages = sharpLayerPackages(arch);
  return {
    name: `sharp-${arch}`,
    inputs: [
      scriptInput(import.meta.filename),
      ESM_REQUIRE_BANNER,
      `esbuild@${esbuildVersion}`,
      ...packages.map(packageInput),
    ],
    assemble(out) {
      // Every package is located before anything is copied, so a missing one leaves no half-built layer.
      const sources = packages.map((name) => {
        const dir = packageDir(name);
        if (!dir) {
          throw new Error(
            `${name} is not installed, so the sharp layer cannot be built for ${arch}. ` +
              `Install it with: npm install --no-save --cpu=${arch === 'arm64' ? 'arm64' : 'x64'} --os=linux --libc=glibc sharp`,
          );
        }
        return { name, dir };
      });
      for (const { name, dir } of sources) {
        fs.cpSync(dir, path.join(out, 'nodejs', 'node_modules', name), {
          recursive: true,
          dereference: true,
        });
      }
      bundleEsmEntry(path.join(out, 'nodejs', 'node_modules', 'sharp'));
    },
  };
}

export function buildSharpLayer(arch: LayerArchitecture): string {
  return buildLayer(LAYER_ROOT, sharpLayer(arch));
}

/**
 * Replaces sharp's ESM entry (what the functions' `import sharp from 'sharp'` loads) with one module that
 * holds sharp's JavaScript and its small dependencies (semver alone is 47 files). A cold start then reads
 * one file instead of about sixty: 47 → 34 ms to import sharp on the 2-core machine. The native addon and
 * libvips stay in their packages, required at run time as before; the CommonJS entry is left as it is.
 */
function bundleEsmEntry(sharpDir: string): void {
  const entry = path.join(sharpDir, 'dist', 'index.mjs');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    // The prebuilt binaries: packages of their own in the layer, loaded with require() as sharp does.
    external: ['@img/sharp-*'],
    // sharp calls require() for its addon, detect-libc for Node's own modules.
    banner: { js: ESM_REQUIRE_BANNER },
    outfile: entry,
    allowOverwrite: true,
    logLevel: 'silent',
  });
}
