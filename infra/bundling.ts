/**
 * How every Lambda is bundled, in one place: `MediaFunction` hands these options to NodejsFunction, and the
 * bundle-size test and `npm run bench -- --only lambda-bundles` turn the same object into esbuild options
 * with `esbuildOptionsOf`, so what they measure is what CDK deploys.
 */
import * as path from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** The subset of NodejsFunction's `BundlingOptions` we set; `esbuildOptionsOf` maps each field as CDK does. */
export interface LambdaBundling {
  readonly format: 'esm';
  readonly target: string;
  readonly minify: boolean;
  readonly sourceMap: boolean;
  /**
   * Embed the original sources in the map. Off: `--enable-source-maps` needs only the mappings to turn a
   * stack trace into file:line, and parsing megabytes of embedded source is most of a cold start.
   */
  readonly sourcesContent: boolean;
  readonly mainFields: readonly string[];
  readonly banner: string;
  readonly define: Readonly<Record<string, string>>;
  readonly externalModules: readonly string[];
}

/**
 * The runtime's SDK v3 (nodejs24.x ships it): not bundled, so a function carries only its own code.
 * Trade-off: Lambda runs the runtime's SDK version, which may lag the lockfile's; we use only long-standing
 * operations of each client (docs/architecture.md, "Bundles").
 */
export const RUNTIME_PROVIDED_MODULES = ['@aws-sdk/*'] as const;

/**
 * Set to `true` in every bundle. `functions/config/adapters.ts` loads local-only adapters (the offline PII
 * recognizers with `compromise` and libphonenumber, tesseract.js) behind `typeof MEDIAGATE_LAMBDA_BUNDLE`,
 * so esbuild drops those branches and their imports from deployed code; tsx and vitest leave it undefined.
 */
export const LAMBDA_BUNDLE_DEFINE = { MEDIAGATE_LAMBDA_BUNDLE: 'true' } as const;

/** Some dependencies still call require(); an ES module bundle of them needs it defined. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export function lambdaBundling(extraExternalModules: readonly string[] = []): LambdaBundling {
  return {
    format: 'esm',
    target: 'node24',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    // ESM builds first: the SDK, zod and Powertools ship both, and only the ESM one tree-shakes.
    mainFields: ['module', 'main'],
    banner: ESM_REQUIRE_BANNER,
    define: LAMBDA_BUNDLE_DEFINE,
    externalModules: [...RUNTIME_PROVIDED_MODULES, ...extraExternalModules],
  };
}

/** The esbuild options NodejsFunction derives from `bundling` (its `buildEsbuildArgs`), writing `outfile`. */
export function esbuildOptionsOf(bundling: LambdaBundling, entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: bundling.format,
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    mainFields: [...bundling.mainFields],
    banner: { js: bundling.banner },
    define: { ...bundling.define },
    external: [...bundling.externalModules],
    absWorkingDir: REPO_ROOT,
    outfile,
  };
}

/** Bundles larger than this fail the infra test; media and DLP functions (with the layers) get more. */
export const BUNDLE_LIMIT_BYTES = { default: 500 * 1024, media: 1024 * 1024 } as const;

/** Media and DLP functions (those given the sharp layer) may load up to 1 MB; the others 500 KB. */
export function bundleLimitBytes(fn: { readonly externalModules: readonly string[] }): number {
  return fn.externalModules.includes('sharp') ? BUNDLE_LIMIT_BYTES.media : BUNDLE_LIMIT_BYTES.default;
}

export interface BuiltBundle {
  /** Bytes of the code Lambda loads (index.mjs), the source map aside. */
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly metafile: Metafile;
}

/** Builds one function's bundle as CDK would; `write: false` keeps it in memory (tests). */
export async function buildLambdaBundle(
  fn: { readonly bundling: LambdaBundling; readonly entry: string },
  outfile: string,
  options: { write?: boolean } = {},
): Promise<BuiltBundle> {
  const result = await build({
    ...esbuildOptionsOf(fn.bundling, fn.entry, outfile),
    write: options.write ?? false,
    metafile: true,
    logLevel: 'silent',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const sizeOf = (suffix: string) =>
    outputs.filter(([file]) => file.endsWith(suffix)).reduce((sum, [, output]) => sum + output.bytes, 0);
  return { bytes: sizeOf('.mjs'), sourceMapBytes: sizeOf('.mjs.map'), metafile: result.metafile };
}
