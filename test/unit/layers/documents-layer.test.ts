import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDocumentsLayer } from '../../../layers/documents/build.js';
import { textPdfWithMetadata } from '../../../scripts/make-documents.js';
import { iphoneHeic } from '../../../scripts/make-heic.js';

/** Opens a PDF and decodes a HEIC with the layer's copies only (an empty directory, absolute paths). */
const LOAD_FROM_LAYER = `
const [modules, pdfPath, heicPath] = process.argv.slice(1);
const { readFileSync } = await import('node:fs');
const mupdf = await import(modules + '/mupdf/dist/mupdf.js');
const doc = new mupdf.PDFDocument(readFileSync(pdfPath));
const heif = (await import(modules + '/libheif-js/wasm-bundle.js')).default;
const context = heif.heif_context_alloc();
const read = heif.heif_context_read_from_memory(context, new Uint8Array(readFileSync(heicPath)));
process.stdout.write(JSON.stringify({ pages: doc.countPages(), heicOk: read.code === heif.heif_error_code.heif_error_Ok }));
`;

describe('documents layer', () => {
  it('carries MuPDF and libheif whole: both load from the layer alone and read their formats', () => {
    // Prepare
    const dir = buildDocumentsLayer();
    const empty = mkdtempSync(join(tmpdir(), 'layer-load-'));
    const pdf = join(empty, 'in.pdf');
    const heic = join(empty, 'in.heic');
    writeFileSync(pdf, textPdfWithMetadata());
    writeFileSync(heic, iphoneHeic());
    // Act
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', LOAD_FROM_LAYER, join(dir, 'nodejs', 'node_modules'), pdf, heic],
      { cwd: empty, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    rmSync(empty, { recursive: true, force: true });
    // Assess
    expect(JSON.parse(out)).toEqual({ pages: 1, heicOk: true });
  });
});
