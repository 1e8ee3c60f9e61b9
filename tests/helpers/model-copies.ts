/** Copies of a committed model folder under another version number (manifest.json is not hashed), registered and promoted, for registry tests. */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerModelFolder } from '../../regional/src/ops/register-folder.ts';
import type { ModelRegistryStore } from '../../regional/src/store/types.ts';

export function copyModelAs(source: string, dir: string, version: string): string {
  const out = join(dir, `${source.split('/').at(-1)}-${version}`);
  cpSync(source, out, { recursive: true });
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...m, version }));
  return out;
}

/** Registers a folder (no drift baseline) and moves it through staging to production. */
export async function registerAndPromote(registry: ModelRegistryStore, folder: string, name: string, version: string, beforeProduction: () => void = () => {}): Promise<void> {
  await registerModelFolder(registry, folder, { registeredBy: 'test', baselineData: null });
  beforeProduction();
  await registry.setStage(name, version, 'staging', { actor: 'test' });
  await registry.setStage(name, version, 'production', { actor: 'test', reason: `${name}@${version} in a test` });
}
