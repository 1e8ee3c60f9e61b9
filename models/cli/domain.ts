/**
 * `npm run domain -- <command> <dir>`: the build-time tool of domain packs (domains/README.md).
 *
 *   new <dir> [--name s]   scaffolds a minimal valid pack (four intents, templates, a small KB)
 *   check <dir>            validates every file; prints the counts, or `<dir>/<file>:<line>: …` and exits 1
 *   build <dir> [--epochs N] [--seed N] …   trains and calibrates the pack's classifier into the
 *                          folder its domain.json names (inside the pack), calibrates the cache
 *                          thresholds on eval/paraphrases.jsonl when present, runs the intent eval
 *                          on the test split and writes reports/intent.{html,json}
 *   build <dir> --only cache   recalibrates cache.json with the classifier already built
 *
 * Refuses to build a classifier folder outside the pack (the committed default models are rebuilt
 * by `npm run models:build` only) and to scaffold into a folder that already has files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { formatIssue } from '../../shared/domain/pack-check.ts';
import { checkPackDir, loadPack, packModelDir } from '../pipeline/domain-pack.ts';
import { CLASSIFIER_FLAGS, cliArgs } from './args.ts';
import { buildPack, recalibrateCache } from '../pipeline/domain-build.ts';
import { scaffoldPack } from '../pipeline/domain-scaffold.ts';
import { repoRoot } from '../pipeline/datasets.ts';

const USAGE = 'usage: npm run domain -- new <dir> [--name s] | check <dir> | build <dir> [--epochs N] [--seed N] [--version s] [--only cache]';
const { values, positionals } = cliArgs({ ...CLASSIFIER_FLAGS, name: { type: 'string' }, version: { type: 'string' }, only: { type: 'string' } });
const [command, dirArg] = positionals;
if (!command || !dirArg || !['new', 'check', 'build'].includes(command)) {
  console.error(USAGE);
  process.exit(2);
}
const dir = resolve(dirArg);
const shown = relative(process.cwd(), dir) || '.';

if (command === 'new') {
  if (existsSync(dir) && readdirSync(dir).length) {
    console.error(`${shown}: already exists and is not empty; choose a new folder`);
    process.exit(1);
  }
  const name = (values.name as string | undefined) ?? (basename(dir).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z]+/, '') || 'my-assistant');
  const files = scaffoldPack(name, relative(dir, join(repoRoot(), 'models', 'default', 'embedder')).split(sep).join('/'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  console.log(`created ${shown}/ (${Object.keys(files).length} files). Next:\n  npm run domain -- build ${shown}\n  SWITCHYARD_DOMAIN=${shown} npm start`);
} else if (command === 'check') {
  let r;
  try {
    r = checkPackDir(dir);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
  console.log(r.summary.join('\n'));
  if (!r.ok) {
    console.error(`\n${shown}: ${r.issues.length} problem(s):`);
    for (const i of r.issues.slice(0, 100)) console.error(`${shown}/${formatIssue(i)}`);
    if (r.issues.length > 100) console.error(`… and ${r.issues.length - 100} more`);
    process.exit(1);
  }
  console.log(`\nOK: ${shown} is a valid domain pack`);
} else {
  const pack = loadPack(dir);
  const out = packModelDir(dir, pack, 'classifier');
  if (!out.startsWith(dir + sep)) {
    console.error(`${shown}/domain.json: models.classifier (${pack.domain.models.classifier}) is outside the pack; domain build writes only inside it (the default models are rebuilt by npm run models:build)`);
    process.exit(1);
  }
  if (values.only !== undefined && values.only !== 'cache') {
    console.error(`--only takes "cache" (recalibrate the cache with the built classifier), got "${String(values.only)}"`);
    process.exit(2);
  }
  const summary = values.only ? { cache: await recalibrateCache(dir, pack) } : await buildPack(dir, pack, values, (...a) => console.error('[domain build]', ...a));
  const report = join(dir, 'reports', 'intent.json');
  if (values.only && existsSync(report)) writeFileSync(report, JSON.stringify({ ...JSON.parse(readFileSync(report, 'utf8')), cache: summary.cache }, null, 2) + '\n');
  console.log(JSON.stringify(summary, null, 2));
}
