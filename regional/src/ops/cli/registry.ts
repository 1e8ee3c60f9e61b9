/**
 * The model registry CLI (`npm run models -- <command>`), on the service's database
 * (DATABASE_URL: a SQLite path, default ./data/switchyard.db, or postgres://…). Every command acts
 * on one domain's models (`--domain <pack dir | name>`, default the pack SWITCHYARD_DOMAIN names,
 * else the default pack): two domains sharing the database never see each other's versions,
 * promotions, rollbacks or rollouts.
 *
 *   register <dir> [--parent <version>] [--commit <sha>] [--baseline-data <dir> | --no-baseline] [--by <who>]
 *       verifies every file of the folder against its manifest (a tampered artifact is refused),
 *       then records the version in stage dev with its lineage and drift baseline (its predictions
 *       on the --domain pack's val and test messages, unless --baseline-data names another folder)
 *   promote <name> <version> --to staging|production|archived|dev [--reason <text>] [--by <who>]
 *       production archives the version it replaces; staging/production re-verify the artifact
 *   rollback <name> [--reason <text>] [--by <who>]   the previous production version serves again
 *   list [--name <name>] [--stage <stage>] [--json]
 *   show <name> [version] [--json]                    a version (default: production, else newest) and its history
 *   canary | shadow | ab | rollout …                    rollout rules (rollout-cli.ts)
 *
 * Exit codes: 0 ok, 1 refused (integrity, conflict, not found), 2 usage.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PG_EMBEDDING_DIMENSIONS } from '../../store/schema.pg.ts';
import { openStore } from '../../store/open.ts';
import { MODEL_STAGES, StoreError, type ModelStage, type ModelVersionRecord, type Store } from '../../store/types.ts';
import { rollbackTarget } from '../../store/registry-rules.ts';
import { registerModelFolder, RegistryInputError, verifyRegisteredArtifact } from '../register-folder.ts';
import { ApiError } from '../../../../shared/api/errors.ts';
import { domainArg, DomainArgError, domainDirArg } from './domain-arg.ts';
import { ROLLOUT_FLAGS, ROLLOUT_USAGE, RolloutUsageError, runRolloutCommand } from './rollout-cli.ts';

const USAGE = `usage: npm run models -- <command> … [--domain <pack dir | name>]
       npm run models -- register <dir> [--parent v] [--commit sha] [--baseline-data dir | --no-baseline] [--by who]
       npm run models -- promote <name> <version> --to ${MODEL_STAGES.join('|')} [--reason text] [--by who]
       npm run models -- rollback <name> [--reason text] [--by who]
       npm run models -- list [--name n] [--stage s] [--json]
       npm run models -- show <name> [version] [--json]
${ROLLOUT_USAGE}`;

class UsageError extends Error {}

function parse() {
  try {
    return parseArgs({ args: process.argv.slice(2), allowPositionals: true, strict: true, options: {
      to: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      parent: { type: 'string' },
      commit: { type: 'string' },
      'baseline-data': { type: 'string' },
      'no-baseline': { type: 'boolean' },
      name: { type: 'string' },
      stage: { type: 'string' },
      json: { type: 'boolean' },
      domain: { type: 'string' },
      ...ROLLOUT_FLAGS,
    } });
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const { values, positionals } = parse();
const [command, ...args] = positionals;
const actor = (values.by as string | undefined) ?? `${safeUser()} (cli)`;

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function stageArg(v: unknown): ModelStage {
  if (!MODEL_STAGES.includes(v as ModelStage)) throw new UsageError(`--to must be one of ${MODEL_STAGES.join(', ')}`);
  return v as ModelStage;
}

function summary(v: ModelVersionRecord) {
  return {
    domain: v.domain,
    name: v.name,
    version: v.version,
    kind: v.kind,
    stage: v.stage,
    sizeBytes: v.sizeBytes,
    promotedBy: v.promotedBy,
    promotedAt: v.promotedAt?.toISOString() ?? null,
    reason: v.reason,
    gitCommit: v.gitCommit,
    parentVersion: v.parentVersion,
    createdAt: v.createdAt.toISOString(),
  };
}

function print(data: unknown, text: () => string): void {
  console.log(values.json ? JSON.stringify(data) : text());
}

/** The --domain pack's labelled messages: the default drift baseline data of a registered classifier (a bare domain name has none: the default pack's). */
const packDir = domainDirArg(values.domain as string | undefined);
const packIntentsDir = packDir ? join(packDir, 'intents') : undefined;

async function run(store: Store): Promise<void> {
  const reg = store.registry;
  switch (command) {
    case 'register': {
      if (args.length !== 1) throw new UsageError('register takes one folder');
      const { record, created } = await registerModelFolder(reg, args[0], {
        registeredBy: actor,
        gitCommit: (values.commit as string | undefined) ?? undefined,
        parentVersion: (values.parent as string | undefined) ?? null,
        // The drift baseline is the classifier's predictions on its own pack's messages (val + test).
        baselineData: values['no-baseline'] ? null : ((values['baseline-data'] as string | undefined) ?? packIntentsDir),
      });
      print({ created, ...summary(record), baseline: record.baseline ? { n: (record.baseline as { n: number }).n } : null }, () =>
        created
          ? `registered ${record.name}@${record.version} (${record.kind}, ${Object.keys(record.files).length} files verified, ${record.sizeBytes} bytes) in dev${record.baseline ? ', with a drift baseline' : ''}`
          : `${record.name}@${record.version} is already registered with the same files (stage ${record.stage})`,
      );
      return;
    }
    case 'promote': {
      if (args.length !== 2) throw new UsageError('promote takes a name and a version');
      const to = stageArg(values.to);
      const [name, version] = args;
      const v = await reg.getModelVersion(name, version);
      if (!v) throw new StoreError('NOT_FOUND', `no model version ${name}@${version} in ${reg.domain}`);
      if (to === 'staging' || to === 'production') await verifyRegisteredArtifact(v);
      const before = await reg.getProductionVersion(name);
      const r = await reg.setStage(name, version, to, { actor, reason: (values.reason as string | undefined) ?? null });
      print({ ...summary(r), replaced: to === 'production' && before ? before.version : null }, () =>
        `${r.name}@${r.version}: ${v.stage} → ${r.stage}${to === 'production' && before ? ` (archived ${before.version})` : ''}`,
      );
      return;
    }
    case 'rollback': {
      if (args.length !== 1) throw new UsageError('rollback takes a model name');
      const current = await reg.getProductionVersion(args[0]);
      if (!current) throw new StoreError('NOT_FOUND', `${args[0]} has no version in production in ${reg.domain}`);
      const history = await reg.listStageChanges(args[0]);
      // Verify the version we are about to restore before archiving the one that serves.
      const target = rollbackTarget(history, current.version);
      const tv = target ? await reg.getModelVersion(args[0], target) : null;
      if (tv) await verifyRegisteredArtifact(tv);
      const { from, to } = await reg.rollback(args[0], { actor, reason: (values.reason as string | undefined) ?? null });
      print({ name: args[0], from: from.version, to: to.version }, () => `${args[0]}: production ${from.version} → ${to.version} (rollback recorded)`);
      return;
    }
    case 'list': {
      if (args.length) throw new UsageError('list takes no positional arguments');
      const stage = values.stage === undefined ? undefined : stageArg(values.stage);
      const rows = await reg.listModelVersions({ name: values.name as string | undefined, stage });
      print(rows.map(summary), () =>
        rows.length
          ? rows.map((v) => `${v.name.padEnd(32)} ${v.version.padEnd(12)} ${v.stage.padEnd(10)} ${v.kind.padEnd(18)} ${v.createdAt.toISOString()}`).join('\n')
          : `no model versions registered in ${reg.domain}`,
      );
      return;
    }
    case 'show': {
      if (args.length < 1 || args.length > 2) throw new UsageError('show takes a name and an optional version');
      const [name, version] = args;
      const v = version ? await reg.getModelVersion(name, version) : ((await reg.getProductionVersion(name)) ?? (await reg.listModelVersions({ name }))[0] ?? null);
      if (!v) throw new StoreError('NOT_FOUND', version ? `no model version ${name}@${version}` : `no versions of ${name}`);
      const history = await reg.listStageChanges(name, { version: v.version });
      const out = {
        ...summary(v),
        artifactUri: v.artifactUri,
        files: v.files,
        trainingDataSha256: v.trainingDataSha256,
        metrics: v.metrics,
        registeredBy: v.registeredBy,
        baseline: v.baseline,
        history: history.map((h) => ({ from: h.fromStage, to: h.toStage, action: h.action, actor: h.actor, reason: h.reason, at: h.createdAt.toISOString() })),
      };
      print(out, () => JSON.stringify(out, null, 2));
      return;
    }
    case 'canary':
    case 'shadow':
    case 'ab':
    case 'rollout':
      return runRolloutCommand(command, args, values, store, actor, print);
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command');
  }
}

let code = 0;
let store: Store | undefined;
try {
  const domain = domainArg(values.domain as string | undefined);
  store = await openStore(process.env.DATABASE_URL, { dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'registry-cli', domain });
  await run(store);
} catch (e) {
  if (e instanceof UsageError || e instanceof RolloutUsageError || e instanceof DomainArgError) {
    console.error(`${e.message}\n${USAGE}`);
    code = 2;
  } else if (e instanceof StoreError || e instanceof RegistryInputError || e instanceof ApiError) {
    console.error(`refused (${e.code}): ${e.message}`);
    code = 1;
  } else {
    console.error(`error: ${(e as Error).message}`);
    code = 1;
  }
} finally {
  await store?.close();
}
process.exit(code);
