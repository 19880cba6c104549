/**
 * Image tokens as OpenAI's vision guide ("Calculating costs") publishes them, written here on purpose
 * without looking at the project's own estimator: if the project gets the rule wrong, the simulator
 * must not be wrong with it.
 *
 * Two published rules:
 * - tiles (gpt-4o, gpt-4o-mini): `low` costs the base only. `high`: fit the image inside 2048×2048,
 *   then shrink it so its shortest side is 768 px (never enlarge), then count the 512-px squares
 *   needed to cover it; tokens = base + perTile × squares.
 * - patches (gpt-4.1-mini, gpt-4.1-nano, o4-mini): count the 32-px patches covering the image; above
 *   1,536 patches, shrink it by √(32²·1536 / (w·h)), then shrink again so the width or the height is a
 *   whole number of patches; tokens = patches (at most 1,536) × the model's multiplier.
 */

export type SimulatorImageDetail = 'low' | 'high' | 'auto';

export type ImageTokenRule =
  | { readonly kind: 'tiles'; readonly base: number; readonly perTile: number }
  | { readonly kind: 'patches'; readonly multiplier: number };

const TILE_SIZE = 512;
const FIT_SQUARE = 2048;
const SHORT_SIDE = 768;
const PATCH_SIZE = 32;
const PATCH_BUDGET = 1536;

/** By model family; a dated snapshot (`gpt-4o-2024-08-06`) uses its family's rule. */
const RULES: Readonly<Record<string, ImageTokenRule>> = {
  'gpt-4o': { kind: 'tiles', base: 85, perTile: 170 },
  // Its tokens are 16× cheaper, so OpenAI bills an image at about 33× the tokens of gpt-4o.
  'gpt-4o-mini': { kind: 'tiles', base: 2833, perTile: 5667 },
  'gpt-4.1-mini': { kind: 'patches', multiplier: 1.62 },
  'gpt-4.1-nano': { kind: 'patches', multiplier: 2.46 },
  'o4-mini': { kind: 'patches', multiplier: 1.72 },
};

const DATED = /-\d{4}-\d{2}-\d{2}$/;

export function imageTokenRule(model: string): ImageTokenRule {
  const family = model.replace(DATED, '');
  const rule = Object.hasOwn(RULES, family) ? RULES[family] : undefined;
  if (!rule) throw new Error(`the simulator has no image-token rule for ${model}`);
  return rule;
}

/** Number of 512-px squares covering the image after OpenAI's two downscaling steps. */
export function tilesAfterDownscaling(width: number, height: number): number {
  const fit = Math.min(1, FIT_SQUARE / Math.max(width, height));
  const fitted = { width: width * fit, height: height * fit };
  const shrink = Math.min(1, SHORT_SIDE / Math.min(fitted.width, fitted.height));
  // A resized image has whole pixels. OpenAI does not say how it rounds; its usage reports show a
  // round-down (a 1025-px side fitted to 512 stays one tile), so the fraction is truncated, keeping at
  // least one pixel. The epsilon keeps float noise (1024.9999999) from losing a pixel.
  const whole = (pixels: number) => Math.max(1, Math.floor(pixels + 1e-9));
  const across = Math.ceil(whole(fitted.width * shrink) / TILE_SIZE);
  const down = Math.ceil(whole(fitted.height * shrink) / TILE_SIZE);
  return across * down;
}

/** Number of 32-px patches OpenAI bills for an image on a patch-based model (before the multiplier). */
export function patchesAfterDownscaling(width: number, height: number): number {
  const raw = Math.ceil(width / PATCH_SIZE) * Math.ceil(height / PATCH_SIZE);
  if (raw <= PATCH_BUDGET) return raw;
  const first = Math.sqrt((PATCH_SIZE * PATCH_SIZE * PATCH_BUDGET) / (width * height));
  const across = (width * first) / PATCH_SIZE;
  const down = (height * first) / PATCH_SIZE;
  const second = Math.min(Math.floor(across) / across, Math.floor(down) / down);
  // The second shrink lands one side on a whole number of patches; the epsilon keeps float noise
  // (33.0000000001) from buying a patch the published example does not count.
  const patches = Math.ceil(across * second - 1e-9) * Math.ceil(down * second - 1e-9);
  return Math.min(patches, PATCH_BUDGET);
}

export function imageTokensFor(args: {
  model: string;
  width: number;
  height: number;
  detail: 'low' | 'high';
}): number {
  const rule = imageTokenRule(args.model);
  if (rule.kind === 'patches') {
    // ASSUMED: rounded to the nearest token; OpenAI publishes the multiplier, not the rounding.
    // Patch models ignore `detail` (OpenAI's guide gives them no low-detail price).
    return Math.round(patchesAfterDownscaling(args.width, args.height) * rule.multiplier);
  }
  if (args.detail === 'low') return rule.base;
  return rule.base + rule.perTile * tilesAfterDownscaling(args.width, args.height);
}

/**
 * `auto` as the API resolves it in practice: `low` when the image fits in one 512-px tile, otherwise
 * `high` (OpenAI does not publish the rule; this is what its usage reports show).
 */
export function resolveDetail(detail: SimulatorImageDetail, width: number, height: number): 'low' | 'high' {
  if (detail === 'low' || detail === 'high') return detail;
  return width <= TILE_SIZE && height <= TILE_SIZE ? 'low' : 'high';
}
