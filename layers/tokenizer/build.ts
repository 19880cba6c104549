/**
 * Assembles the tokenizer layer (nodejs/node_modules/gpt-tokenizer) from the package npm installed here:
 * only the o200k encoder the pre-flight estimate imports (`gpt-tokenizer/model/gpt-4o`), bundled into one
 * ES module, so InvokeModel's own bundle stays small and the tables load on the first estimate only.
 * Offline and architecture-independent (plain JavaScript).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync, version as esbuildVersion } from 'esbuild';
import { type LayerRecipe, packageInput, scriptInput } from '../layer-build.js';

const LAYER_ROOT = import.meta.dirname;
/** The one entry point functions import; the layer's package.json exports nothing else. */
export const TOKENIZER_ENTRY = 'gpt-tokenizer/model/gpt-4o';

/** The tokenizer layer: gpt-tokenizer's version, esbuild's and this script. */
export function tokenizerLayer(): LayerRecipe {
  return {
    name: 'tokenizer',
    inputs: [scriptInput(import.meta.filename), `esbuild@${esbuildVersion}`, packageInput('gpt-tokenizer')],
    assemble(out) {
      const pkg = path.join(out, 'nodejs', 'node_modules', 'gpt-tokenizer');
      buildSync({
        stdin: { contents: `export * from '${TOKENIZER_ENTRY}';`, resolveDir: LAYER_ROOT, loader: 'js' },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node24',
        minify: true,
        outfile: path.join(pkg, 'model', 'gpt-4o.js'),
        logLevel: 'silent',
      });
      fs.writeFileSync(
        path.join(pkg, 'package.json'),
        `${JSON.stringify({ name: 'gpt-tokenizer', type: 'module', exports: { './model/gpt-4o': './model/gpt-4o.js' } }, null, 2)}\n`,
      );
    },
  };
}
