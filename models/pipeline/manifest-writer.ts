/** Writes manifest.json for a built model folder (sha256 of every other file in it). */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { manifestOf, type ModelManifest } from '../../shared/models/manifest.ts';
import { stableJson } from '../../shared/models/stable-json.ts';

async function listFiles(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, root)));
    else if (e.name !== 'manifest.json') out.push(relative(root, p).split('\\').join('/'));
  }
  return out.sort();
}

/** Build time: SOURCE_DATE_EPOCH (seconds) when set, so that release builds can pin it. */
export function buildTime(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return (epoch ? new Date(Number(epoch) * 1000) : new Date()).toISOString();
}

export async function writeManifest(
  dir: string,
  fields: Omit<ModelManifest, 'files' | 'sizeBytes' | 'createdAt'>,
): Promise<ModelManifest> {
  const files = await Promise.all((await listFiles(dir)).map(async (p) => [p, new Uint8Array(await readFile(join(dir, p)))] as const));
  const manifest = await manifestOf(files, fields, buildTime());
  await writeFile(join(dir, 'manifest.json'), stableJson(manifest));
  return manifest;
}
