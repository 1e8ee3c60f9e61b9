/**
 * The regional service's reading of a domain pack (SWITCHYARD_DOMAIN, default domains/kitsune-books):
 * its text files, validated with the shared checker at start (the schema and cross-file rules; the
 * training-data rules are `domain check`'s). An invalid pack refuses to start the service, with
 * every issue as `<file>:<line>: message`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkPack, formatIssue, type DomainPack } from '../../../shared/domain/pack-check.ts';
import { packTextFiles, type PackFileSystem } from '../../../shared/domain/pack-text-files.ts';

export const DEFAULT_DOMAIN_DIR = resolve(import.meta.dirname, '../../../domains/kitsune-books');

const files: PackFileSystem = {
  list: (dir) => readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, isDirectory: e.isDirectory() })),
  read: (file) => readFileSync(file, 'utf8'),
};

const cache = new Map<string, DomainPack>();

/** The validated pack in `dir` (read once per process). */
export function domainPack(dir: string = DEFAULT_DOMAIN_DIR): DomainPack {
  const root = resolve(dir);
  const hit = cache.get(root);
  if (hit) return hit;
  if (!existsSync(join(root, 'domain.json'))) throw new Error(`SWITCHYARD_DOMAIN ${dir}: not a domain pack (no domain.json)`);
  const r = checkPack(packTextFiles(root, files), (t) => createHash('sha256').update(t).digest('hex'), { dataRules: false });
  if (!r.ok) throw new Error(`domain pack ${dir} is invalid:\n${r.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
  cache.set(root, r.pack);
  return r.pack;
}

/** A model folder named by the pack's domain.json, as an absolute path. */
export const domainModelDir = (dir: string, role: 'classifier' | 'embedder'): string => resolve(dir, domainPack(dir).domain.models[role]);
