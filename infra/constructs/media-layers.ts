import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { documentsLayer } from '../../layers/documents/build.js';
import { ffmpegLayer } from '../../layers/ffmpeg/build.js';
import { buildLayer, type LayerRecipe, layerFingerprint } from '../../layers/layer-build.js';
import { sharpLayer } from '../../layers/sharp/build.js';
import { tokenizerLayer } from '../../layers/tokenizer/build.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface MediaLayersProps {
  readonly architecture: Architecture;
}

/**
 * sharp (with its libvips for the target architecture), a static ffmpeg, the o200k tokenizer and the
 * PDF/HEIC WebAssembly engines, as Lambda layers. All are assembled from npm packages on this machine: no Docker and no download at synth time.
 */
export class MediaLayers extends Construct {
  readonly sharp: LayerVersion;
  readonly ffmpeg: LayerVersion;
  /** gpt-tokenizer's o200k encoder, imported by InvokeModel on its first estimate. */
  readonly tokenizer: LayerVersion;
  /** MuPDF and libheif (WebAssembly), imported by ValidateAndStrip on the first PDF or HEIC. */
  readonly documents: LayerVersion;
  /** Modules the sharp and ffmpeg layers provide, to be kept out of function bundles. */
  static readonly EXTERNAL_MODULES = ['sharp', '@img/*', '@ffmpeg-installer/ffmpeg'] as const;
  /** Modules the documents layer provides: loaded lazily, so they never weigh on a cold start. */
  static readonly DOCUMENT_MODULES = ['mupdf', 'libheif-js', 'libheif-js/*'] as const;
  /** Modules the tokenizer layer provides. */
  static readonly TOKENIZER_MODULES = ['gpt-tokenizer'] as const;

  constructor(scope: Construct, id: string, props: MediaLayersProps) {
    super(scope, id);
    const arch = props.architecture === Architecture.ARM_64 ? 'arm64' : 'x86_64';
    this.sharp = new LayerVersion(this, 'Sharp', {
      description: `sharp and libvips for linux-${arch}`,
      compatibleArchitectures: [props.architecture],
      code: localLayerCode('sharp', sharpLayer(arch)),
    });
    this.ffmpeg = new LayerVersion(this, 'Ffmpeg', {
      description: `static ffmpeg for linux-${arch} at /opt/bin/ffmpeg`,
      compatibleArchitectures: [props.architecture],
      code: localLayerCode('ffmpeg', ffmpegLayer(arch)),
    });
    this.tokenizer = new LayerVersion(this, 'Tokenizer', {
      description: 'gpt-tokenizer o200k encoder (gpt-tokenizer/model/gpt-4o) as one ES module',
      compatibleArchitectures: [props.architecture],
      code: localLayerCode('tokenizer', tokenizerLayer()),
    });
    this.documents = new LayerVersion(this, 'Documents', {
      description: 'MuPDF (mupdf) and libheif (libheif-js) WebAssembly builds, for PDF and HEIC uploads',
      compatibleArchitectures: [props.architecture],
      code: localLayerCode('documents', documentsLayer()),
    });
  }
}

/**
 * Asset code whose bundling runs locally (copying a layer built from node_modules); Docker is never used.
 * Its hash is the layer's fingerprint (what the layer is made of, layers/layer-build.ts), not a walk of
 * the layer's directory, where other synths may be building at the same moment.
 */
function localLayerCode(name: string, recipe: LayerRecipe): Code {
  const layerDir = path.join(REPO_ROOT, 'layers', name);
  return Code.fromAsset(layerDir, {
    assetHash: layerFingerprint(recipe),
    assetHashType: AssetHashType.CUSTOM,
    bundling: {
      image: DockerImage.fromRegistry('local-bundling-only'),
      local: {
        tryBundle(outputDir: string) {
          fs.cpSync(buildLayer(layerDir, recipe), outputDir, { recursive: true, dereference: true });
          return true;
        },
      },
    },
  });
}
