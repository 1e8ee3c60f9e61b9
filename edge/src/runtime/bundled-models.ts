/**
 * The models of the bundled domain pack (its classifier, the embedder it names), bundled into the
 * Worker as Data modules (raw bytes, see wrangler.toml) so that each file can be checked against
 * its manifest's sha256 before it is used.
 */
import { bundledDomain } from '../domain/bundled-domain.ts';

export interface BundledFolder {
  /** Raw bytes of every file of the folder, manifest.json included, by relative path. */
  files: Record<string, ArrayBuffer>;
}

export const bundledClassifier: BundledFolder = bundledDomain.models.classifier;
export const bundledEmbedder: BundledFolder = bundledDomain.models.embedder;
