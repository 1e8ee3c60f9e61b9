/**
 * Build time: reads a domain pack folder (domains/README.md) and validates it with the shared
 * checker (shared/domain/pack-check.ts). The model folders under <pack>/models/ are not read; the
 * regional service has its own reader (regional/src/domain/pack-files.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkPack, formatIssue, type DomainPack, type PackCheck } from '../../shared/domain/pack-check.ts';
import { packTextFiles, type PackFileSystem } from '../../shared/domain/pack-text-files.ts';

const nodePackFs: PackFileSystem = {
  list: (dir) => readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, isDirectory: e.isDirectory() })),
  read: (file) => readFileSync(file, 'utf8'),
};

/** Text files a pack may hold, by path relative to it (models/ and dot-folders left out). */
export function readPackFiles(dir: string): Record<string, string> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'domain.json'))) throw new Error(`${dir}: not a domain pack (no domain.json)`);
  return packTextFiles(root, nodePackFs);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function checkPackDir(dir: string, opts: { dataRules?: boolean } = {}): PackCheck {
  return checkPack(readPackFiles(dir), sha256, opts);
}

/**
 * The validated pack, or an Error listing every issue as `<dir>/<file>:<line>: message`.
 * `dataRules: false` (bundling for a tier) skips the training-data rules, as the region does.
 */
export function loadPack(dir: string, opts: { dataRules?: boolean } = {}): DomainPack {
  const r = checkPackDir(dir, opts);
  if (!r.ok) throw new Error(`domain pack ${dir} is invalid:\n${r.issues.map((i) => `  ${join(dir, formatIssue(i))}`).join('\n')}`);
  return r.pack;
}

/** A model folder the pack's domain.json names (relative to the pack). */
export const packModelDir = (dir: string, pack: DomainPack, role: 'classifier' | 'embedder') => resolve(dir, pack.domain.models[role]);
