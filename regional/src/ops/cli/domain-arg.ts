/**
 * Which domain a registry command acts on (`--domain`): a pack folder (its domain.json `name`) or
 * a domain name; without it, SWITCHYARD_DOMAIN's pack, else the default pack: the domain
 * `npm start` serves. Models are keyed by domain, so a command never reads or moves another
 * domain's versions or rollouts. Refuses a value that is neither a pack folder nor a domain name.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DOMAIN_DIR, domainPack } from '../../domain/pack-files.ts';
import { domainName } from '../../store/validate.ts';

export class DomainArgError extends Error {}

/** The pack folder a registry command acts on, when `--domain` (else SWITCHYARD_DOMAIN, else the default pack) is a folder; undefined for a bare domain name. */
export function domainDirArg(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const ref = value ?? env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR;
  return existsSync(join(ref, 'domain.json')) ? ref : undefined;
}

export function domainArg(value: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const ref = value ?? env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN_DIR;
  if (existsSync(join(ref, 'domain.json'))) return domainPack(ref).domain.name;
  if (domainName.safeParse(ref).success) return ref;
  throw new DomainArgError(`--domain ${ref}: neither a domain pack folder (with domain.json) nor a domain name`);
}
