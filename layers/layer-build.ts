/**
 * How every layer is built: from a recipe whose inputs (its build script, the versions of the packages it
 * takes) make a fingerprint, into `build/<name>-<fingerprint>` beside its script.
 *
 * A build is assembled in a private directory and renamed into place whole, and a build of the current
 * inputs is never rebuilt or removed. Several synths run at once (the test files do), and readers use a
 * build while others make theirs: CDK copying a layer into its asset, the bundle bench, the layer tests
 * loading sharp from it. None of them can meet a layer half-built or deleted under it, as they could when
 * every build emptied one shared directory first. Builds of other inputs are removed once the new one is
 * in place. The same fingerprint is the layer asset's hash (infra/constructs/media-layers.ts), so a synth
 * hashes what the layer is made of, not whatever happens to lie in `build/` at that moment.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageDir } from './node-packages.js';

export interface LayerRecipe {
  /** Names the build directory, e.g. `sharp-x86_64`. */
  readonly name: string;
  /** What the layer is made of; equal inputs make an equal layer. */
  readonly inputs: readonly string[];
  /** Writes the layer's files into `dir`: empty, and private to this build until it is complete. */
  readonly assemble: (dir: string) => void;
}

/** A private build older than this was left by a process that died mid-build. */
const ABANDONED_MS = 10 * 60_000;

export function layerFingerprint(recipe: Pick<LayerRecipe, 'name' | 'inputs'>): string {
  return createHash('sha256')
    .update(JSON.stringify([recipe.name, ...recipe.inputs]))
    .digest('hex')
    .slice(0, 16);
}

/** The build of `recipe` under `root/build`, made now unless an identical one is already there. */
export function buildLayer(root: string, recipe: LayerRecipe): string {
  const builds = path.join(root, 'build');
  const final = path.join(builds, `${recipe.name}-${layerFingerprint(recipe)}`);
  if (fs.existsSync(final)) return final;
  fs.mkdirSync(builds, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(builds, `.${recipe.name}-`));
  try {
    recipe.assemble(scratch);
    fs.renameSync(scratch, final);
  } catch (error) {
    fs.rmSync(scratch, { recursive: true, force: true });
    // Another process put the same build in place first: theirs is as good as ours.
    if (!fs.existsSync(final)) throw error;
  }
  removeOtherBuilds(builds, recipe.name, final);
  return final;
}

function removeOtherBuilds(builds: string, name: string, keep: string): void {
  const now = Date.now();
  for (const entry of fs.readdirSync(builds)) {
    const dir = path.join(builds, entry);
    const stale = entry.startsWith(`${name}-`) && dir !== keep;
    const abandoned =
      entry.startsWith(`.${name}-`) &&
      now - (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? now) > ABANDONED_MS;
    if (stale || abandoned) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `name@version` of an installed package, or `name@missing` (the recipe's assemble then says what to install). */
export function packageInput(name: string): string {
  const dir = packageDir(name);
  if (!dir) return `${name}@missing`;
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return `${name}@${manifest.version ?? 'unversioned'}`;
}

/** A build script's own text, so a change to how a layer is made is a new build. */
export function scriptInput(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
