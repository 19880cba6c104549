import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildLayer, type LayerRecipe, layerFingerprint } from '../../../layers/layer-build.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function layerRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'layer-build-'));
  roots.push(root);
  return root;
}

/** A layer of one file holding `content`, counting how often it is assembled. */
function recipe(content: string, assembled: { count: number }): LayerRecipe {
  return {
    name: 'sample-x86_64',
    inputs: [`content@${content}`],
    assemble(dir) {
      assembled.count += 1;
      writeFileSync(join(dir, 'file.txt'), content);
    },
  };
}

describe('building a layer', () => {
  it('builds once per inputs: a second build is the same directory, untouched', () => {
    // Prepare
    const root = layerRoot();
    const assembled = { count: 0 };

    // Act
    const first = buildLayer(root, recipe('v1', assembled));
    const modifiedAt = statSync(join(first, 'file.txt')).mtimeMs;
    const second = buildLayer(root, recipe('v1', assembled));

    // Assess
    expect(second).toBe(first);
    expect(assembled.count).toBe(1);
    expect(statSync(join(second, 'file.txt')).mtimeMs).toBe(modifiedAt);
    expect(first).toBe(join(root, 'build', `sample-x86_64-${layerFingerprint(recipe('v1', assembled))}`));
  });

  it('puts a build of new inputs in place whole, then removes the old one', () => {
    // Prepare
    const root = layerRoot();
    const assembled = { count: 0 };
    const old = buildLayer(root, recipe('v1', assembled));

    // Act
    const next = buildLayer(root, recipe('v2', assembled));

    // Assess
    expect(next).not.toBe(old);
    expect(readFileSync(join(next, 'file.txt'), 'utf8')).toBe('v2');
    expect(existsSync(old)).toBe(false);
    expect(readdirSync(join(root, 'build'))).toEqual([next.split('/').at(-1)]);
  });

  it('uses the build another process put in place first, and leaves no scratch behind', () => {
    // Prepare: while this build assembles, an identical one (another synth) completes
    const root = layerRoot();
    const assembled = { count: 0 };
    const racing = recipe('v1', assembled);
    let theirs = '';
    const ours: LayerRecipe = {
      ...racing,
      assemble(dir) {
        theirs = buildLayer(root, racing);
        writeFileSync(join(dir, 'file.txt'), 'ours');
      },
    };

    // Act
    const used = buildLayer(root, ours);

    // Assess: theirs stands as it was; only it is left under build/
    expect(used).toBe(theirs);
    expect(readFileSync(join(used, 'file.txt'), 'utf8')).toBe('v1');
    expect(readdirSync(join(root, 'build'))).toEqual([used.split('/').at(-1)]);
  });

  it('leaves nothing in place when assembling fails', () => {
    // Prepare
    const root = layerRoot();
    const failing: LayerRecipe = {
      name: 'sample-x86_64',
      inputs: ['broken'],
      assemble(dir) {
        writeFileSync(join(dir, 'half.txt'), 'half');
        throw new Error('a package is missing');
      },
    };

    // Act
    const attempt = () => buildLayer(root, failing);

    // Assess
    expect(attempt).toThrow(/a package is missing/);
    expect(readdirSync(join(root, 'build'))).toEqual([]);
  });
});
