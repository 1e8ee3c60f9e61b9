/**
 * Routing configs as registered things (`npm run tune -- --write <dir>`: routing-config.json and a
 * manifest of kind `routing-config`, named `<domain>-routing-config`): loading a registered version
 * for the region (files re-verified against the sha256 recorded at registration, then the schema),
 * and the name the region's rollouts and promotions follow for its domain. The thresholds apply to
 * the classifier version the config names only (shared/routing/routing-config.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRoutingConfig } from '../../../shared/routing/routing-config-schema.ts';
import { ROUTING_CONFIG_FILE, type VersionedRoutingConfig } from '../../../shared/routing/routing-config.ts';
import type { ModelVersionRecord } from '../store/types.ts';
import { RegistryInputError, verifyRegisteredArtifact } from './register-folder.ts';

export { routingConfigName } from '../../../shared/routing/routing-config.ts';

/** A registered routing config, verified and parsed; MODEL_INTEGRITY when its files changed, INVALID_MANIFEST when malformed. */
export async function loadRegisteredRoutingConfig(v: ModelVersionRecord): Promise<VersionedRoutingConfig> {
  if (v.kind !== 'routing-config') throw new RegistryInputError('INVALID_MANIFEST', `${v.name}@${v.version} is a ${v.kind}, not a routing-config`);
  if (!(await verifyRegisteredArtifact(v))) throw new RegistryInputError('MODEL_INTEGRITY', `${v.name}@${v.version}: ${v.artifactUri} cannot be read from here`);
  const path = join(v.artifactUri.replace(/^file:\/\//, ''), ROUTING_CONFIG_FILE);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new RegistryInputError('INVALID_MANIFEST', `${path}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return { id: `${v.name}@${v.version}`, config: parseRoutingConfig(json, path) };
  } catch (e) {
    throw new RegistryInputError('INVALID_MANIFEST', (e as Error).message);
  }
}
