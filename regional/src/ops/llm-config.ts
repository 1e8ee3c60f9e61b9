/**
 * LLM configurations as versioned, registered things: a folder with `llm-config.json` (system
 * prompt and its version, output budget per intent, tier per intent, temperature) and a
 * `manifest.json` (kind `llm-config`, sha256 of the file), registered with
 * `npm run models -- register <dir>` and rolled out (canary, A/B, shadow) like a classifier.
 * Fields a configuration leaves out keep the served pack's values (generate/prompt.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { manifestOf } from '../../../shared/models/manifest.ts';
import { stableJson } from '../../../shared/models/stable-json.ts';
import { builtinLlmSettings, type LlmSettings } from '../generate/prompt.ts';
import type { ModelVersionRecord } from '../store/types.ts';
import { RegistryInputError, verifyRegisteredArtifact } from './register-folder.ts';

export const LLM_CONFIG_FILE = 'llm-config.json';
/** The registry name of the region's LLM configurations (LLM_CONFIG_MODEL overrides it). */
export const DEFAULT_LLM_CONFIG_MODEL = 'switchyard-llm-config';

const tokens = z.number().int().min(1).max(32_768);

export const LlmConfigFile = z
  .object({
    systemPromptVersion: z.string().min(1).max(64).optional(),
    /** Replaces the built-in system prompt. */
    systemPrompt: z.string().min(1).max(32_000).optional(),
    /** Output token budget by intent; `defaultMaxTokens` for the others. */
    maxTokens: z.record(z.string().min(1).max(64), tokens).optional(),
    defaultMaxTokens: tokens.optional(),
    /** Tier by intent; the built-in rule for the others. */
    tiers: z.record(z.string().min(1).max(64), z.enum(['small', 'large'])).optional(),
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();
export type LlmConfigFile = z.infer<typeof LlmConfigFile>;

/** The settings a configuration file gives, on top of `base` (the served pack's). */
export function llmSettingsOf(version: string, cfg: LlmConfigFile, base: LlmSettings = builtinLlmSettings()): LlmSettings {
  return {
    version,
    system: cfg.systemPrompt ?? base.system,
    maxTokensFor: (intent) => (intent && cfg.maxTokens?.[intent]) || (cfg.defaultMaxTokens ?? base.maxTokensFor(intent)),
    tierFor: (intent, message, priority) => (priority !== 'low' && intent && cfg.tiers?.[intent]) || base.tierFor(intent, message, priority),
    ...(cfg.temperature !== undefined ? { temperature: cfg.temperature } : {}),
  };
}

/** Parses a configuration file's text; INVALID_MANIFEST (the artifact is malformed) on bad content. */
export function parseLlmConfig(text: string, where: string): LlmConfigFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RegistryInputError('INVALID_MANIFEST', `${where}: not valid JSON (${(e as Error).message})`);
  }
  const r = LlmConfigFile.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new RegistryInputError('INVALID_MANIFEST', `${where}: ${i.path.join('.') || 'config'}: ${i.message}`);
  }
  return r.data;
}

/**
 * Loads a registered LLM configuration: its files re-verified against the sha256 recorded at
 * registration (MODEL_INTEGRITY when they changed), then parsed.
 */
export async function loadRegisteredLlmConfig(v: ModelVersionRecord, base?: LlmSettings): Promise<LlmSettings> {
  if (v.kind !== 'llm-config') throw new RegistryInputError('INVALID_MANIFEST', `${v.name}@${v.version} is a ${v.kind}, not an llm-config`);
  if (!(await verifyRegisteredArtifact(v))) throw new RegistryInputError('MODEL_INTEGRITY', `${v.name}@${v.version}: ${v.artifactUri} cannot be read from here`);
  const path = join(v.artifactUri.replace(/^file:\/\//, ''), LLM_CONFIG_FILE);
  return llmSettingsOf(v.version, parseLlmConfig(await readFile(path, 'utf8'), path), base);
}

/** Writes a registrable configuration folder (`llm-config.json` + manifest.json). */
export async function writeLlmConfigFolder(dir: string, meta: { name?: string; version: string; config: LlmConfigFile; notes?: string }): Promise<void> {
  const config = LlmConfigFile.parse(meta.config);
  await mkdir(dir, { recursive: true });
  const bytes = new TextEncoder().encode(stableJson(config));
  await writeFile(join(dir, LLM_CONFIG_FILE), bytes);
  const manifest = await manifestOf([[LLM_CONFIG_FILE, bytes]], {
    name: meta.name ?? DEFAULT_LLM_CONFIG_MODEL,
    version: meta.version,
    kind: 'llm-config',
    trainingDataSha256: null,
    settings: { systemPromptVersion: config.systemPromptVersion ?? 'builtin', ...(meta.notes ? { notes: meta.notes } : {}) },
    seed: 0,
    metrics: {},
  }, new Date().toISOString());
  await writeFile(join(dir, 'manifest.json'), stableJson(manifest));
}
