/**
 * Connects `mediagate sanitize` to its process. Sanitising is all this process does, so libvips is first
 * told to refuse every loader we do not accept (SVG, PDF, FITS, Matrix, VIPS…): even a file that slipped
 * past the sniff could not reach them. runSanitizeCommand itself stays free of that process-wide switch,
 * so tests and other callers can run it next to code that renders SVG.
 */
import { restrictSharpLoaders } from '../../functions/media/image.js';
import type { SanitizeIo } from './sanitize.js';
import { runSanitizeCommand } from './sanitize.js';

export async function runSanitize(args: string[], io?: SanitizeIo): Promise<number> {
  restrictSharpLoaders();
  return runSanitizeCommand(args, io);
}
