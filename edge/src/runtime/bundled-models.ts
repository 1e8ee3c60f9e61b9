/**
 * The default models, bundled into the Worker as Data modules (raw bytes, see wrangler.toml) so
 * that each file can be checked against its manifest's sha256 before it is used.
 */
import clfConfig from '../../../models/default/store-intent/config.json';
import clfManifest from '../../../models/default/store-intent/manifest.json';
import clfOnnx from '../../../models/default/store-intent/onnx/model_quantized.onnx';
import clfTokenizer from '../../../models/default/store-intent/tokenizer.json';
import clfTokConfig from '../../../models/default/store-intent/tokenizer_config.json';
import embConfig from '../../../models/default/embedder/config.json';
import embManifest from '../../../models/default/embedder/manifest.json';
import embOnnx from '../../../models/default/embedder/onnx/model_quantized.onnx';
import embTokenizer from '../../../models/default/embedder/tokenizer.json';
import embTokConfig from '../../../models/default/embedder/tokenizer_config.json';

export interface BundledFolder {
  /** Raw bytes of every file of the folder, manifest.json included, by relative path. */
  files: Record<string, ArrayBuffer>;
}

const bytes = (m: unknown) => m as ArrayBuffer;

export const bundledClassifier: BundledFolder = {
  files: {
    'manifest.json': bytes(clfManifest),
    'config.json': bytes(clfConfig),
    'tokenizer.json': bytes(clfTokenizer),
    'tokenizer_config.json': bytes(clfTokConfig),
    'onnx/model_quantized.onnx': clfOnnx,
  },
};

export const bundledEmbedder: BundledFolder = {
  files: {
    'manifest.json': bytes(embManifest),
    'config.json': bytes(embConfig),
    'tokenizer.json': bytes(embTokenizer),
    'tokenizer_config.json': bytes(embTokConfig),
    'onnx/model_quantized.onnx': embOnnx,
  },
};
