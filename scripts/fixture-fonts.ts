/**
 * Fixture text (forms, the claim-form sample, OCR tests) is SVG that sharp's librsvg draws with whatever
 * fonts fontconfig finds: on a machine without any, every glyph is an empty box and OCR reads nothing.
 * This points fontconfig at the DejaVu fonts of the `dejavu-fonts-ttf` npm package instead (the same 2.37
 * that Debian ships), and at no system font, so a fixture renders alike on every machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const FONTS_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const CONFIG_DIR = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'generated', 'fontconfig');

/**
 * Writes a fontconfig file listing only the npm fonts and sets FONTCONFIG_FILE to it. fontconfig reads
 * the variable once, at its first use in a process, so this runs before any text is drawn: on import of
 * the fixture scripts, and in vitest.config.ts for every test worker.
 */
export function useFixtureFonts(): void {
  const file = join(CONFIG_DIR, 'fonts.conf');
  // Test workers inherit it from vitest.config.ts: rewriting the file under them could be read half-written.
  if (process.env.FONTCONFIG_FILE === file) return;
  mkdirSync(CONFIG_DIR, { recursive: true });
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>${FONTS_DIR}</dir>
  <cachedir>${join(CONFIG_DIR, 'cache')}</cachedir>
</fontconfig>
`,
  );
  process.env.FONTCONFIG_FILE = file;
}
