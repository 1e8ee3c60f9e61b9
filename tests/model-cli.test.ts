import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';
import { loadIntentClassifier } from '../regional/src/inference/load-node.ts';

const root = repoRoot();
const tsx = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

describe('model commands', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the store data passes the domain checker', () => {
    const r = tsx(['models/cli/domain.ts', 'check', 'domains/kitsune-books']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/order_status\s+order\s+204\s+50\s+54/);
  });

  it('models:train trains on a JSONL folder without val and writes a loadable, verified model', async () => {
    const data = join(tmp, 'data');
    await mkdir(data);
    const ds = storeIntents();
    const jsonl = (rows: { text: string; label: string }[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    await writeFile(join(data, 'train.jsonl'), jsonl(ds.train));
    await writeFile(join(data, 'test.jsonl'), jsonl(ds.test));
    const out = join(tmp, 'model');
    const r = tsx(['models/cli/train.ts', '--data', data, '--out', out, '--epochs', '10', '--name', 'cli-test']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.metrics.inScopeAccuracy).toBeGreaterThan(0.6);
    const clf = await loadIntentClassifier(out);
    expect(clf.manifest.name).toBe('cli-test');
    expect(clf.manifest.settings.epochs).toBe(10);
    expect((await clf.classify(['where is my order']))[0].intent).toBe('order_status');
  });

  it('a malformed dataset line fails with the file and line named', async () => {
    const data = join(tmp, 'bad');
    await mkdir(data);
    await writeFile(join(data, 'train.jsonl'), '{"text": "hi", "label": "greeting"}\n{"text": 5}\n');
    await writeFile(join(data, 'test.jsonl'), '{"text": "hi", "label": "greeting"}\n');
    const r = tsx(['models/cli/train.ts', '--data', data, '--out', join(tmp, 'never')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/train\.jsonl:2/);
  });
});
