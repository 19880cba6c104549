import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('restrictSharpLoaders', () => {
  it('leaves only the allowlisted loaders in libvips: SVG is refused even when handed to sharp directly', () => {
    // Prepare: its own process, because the restriction is process-wide.
    const script = join(import.meta.dirname, '..', '..', 'fixtures', 'restricted-loaders.ts');
    // Act
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
    // Assess
    expect(JSON.parse(out)).toEqual({ jpeg: true, png: true, svg: false });
  });
});
