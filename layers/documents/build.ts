/**
 * Assembles the documents layer (nodejs/node_modules/{mupdf,libheif-js}) from the packages npm installed
 * here: MuPDF's WebAssembly build for PDFs (≈10 MB of wasm) and libheif's for HEIC (the variant with the
 * wasm inlined, ≈2 MB). Both are plain JavaScript + WebAssembly, so the layer is the same for x86_64 and
 * arm64. Only the files the functions load are copied (no .br copies, typings or other variants), and
 * ValidateAndStrip imports them on the first PDF or HEIC only, so its cold start does not pay for them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLayer, type LayerRecipe, packageInput, scriptInput } from '../layer-build.js';
import { packageDir } from '../node-packages.js';

const LAYER_ROOT = import.meta.dirname;

/** Package → the files of it the layer carries (relative to the package root). */
export const DOCUMENT_LAYER_FILES: Readonly<Record<string, readonly string[]>> = {
  mupdf: ['package.json', 'LICENSE', 'dist/mupdf.js', 'dist/mupdf-wasm.js', 'dist/mupdf-wasm.wasm'],
  'libheif-js': ['package.json', 'LICENSE', 'wasm-bundle.js', 'libheif-wasm/libheif-bundle.js'],
};

/** The documents layer: MuPDF's and libheif's versions, the files taken and this script. */
export function documentsLayer(): LayerRecipe {
  return {
    name: 'documents',
    inputs: [scriptInput(import.meta.filename), ...Object.keys(DOCUMENT_LAYER_FILES).map(packageInput)],
    assemble(out) {
      for (const [name, files] of Object.entries(DOCUMENT_LAYER_FILES)) {
        const source = packageDir(name);
        if (!source) throw new Error(`${name} is not installed; run npm ci`);
        for (const file of files) {
          const from = path.join(source, file);
          if (!fs.existsSync(from)) {
            if (file === 'LICENSE') continue;
            throw new Error(`${name}/${file} is missing: the package layout changed`);
          }
          const to = path.join(out, 'nodejs', 'node_modules', name, file);
          fs.mkdirSync(path.dirname(to), { recursive: true });
          fs.copyFileSync(from, to);
        }
      }
    },
  };
}

export function buildDocumentsLayer(): string {
  return buildLayer(LAYER_ROOT, documentsLayer());
}
