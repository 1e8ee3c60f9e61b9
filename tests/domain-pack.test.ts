/**
 * Domain packs: the checker's errors name the file and line, `domain new` scaffolds a pack that
 * `domain check` accepts, the committed packs pass, the edge's generated module for the default
 * pack is current, and the store's knowledge base documents are the same read through its pack.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPack, formatIssue } from '../shared/domain/pack-check.ts';
import { lineOfParseError, lineOfPath } from '../shared/domain/json-lines.ts';
import { readPackFiles } from '../models/pipeline/domain-pack.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { DEFAULT_MODULE, DEFAULT_PACK, edgeDomainModule } from '../scripts/domain-bundle.ts';
import { domainPack } from '../regional/src/domain/pack-files.ts';
import { loadStoreKb, packKbDocuments } from '../regional/src/retrieval/store-kb.ts';

const root = repoRoot();
const tmp = mkdtempSync(join(tmpdir(), 'sy-domain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'models/cli/domain.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

/** A small valid pack in memory. */
function pack(): Record<string, string> {
  const rows = (label: string, texts: string[]) => texts.map((text) => JSON.stringify({ text, label })).join('\n');
  return {
    'domain.json': JSON.stringify(
      {
        name: 'tiny',
        displayName: 'Tiny',
        locale: 'en-US',
        intents: {
          hello: { route: 'template', description: 'greetings' },
          hours: { route: 'cacheable', cacheTtlSeconds: 60, description: 'opening hours' },
          oos: { route: 'template', description: 'out of scope' },
        },
        entities: ['term'],
        models: { classifier: 'models/intent', embedder: '../embedder' },
      },
      null,
      2,
    ),
    'templates.json': JSON.stringify({ faqMinSimilarity: 0.8, intents: { hello: { source: 't#hello', variants: [{ when: [], text: 'Hi!' }] }, oos: { source: 't#oos', variants: [{ when: [], text: 'No.' }] } }, handoff: 'Later.' }, null, 2),
    'cache.json': JSON.stringify({ thresholds: { hit: 0.9, stale: 0.8 }, refreshMs: 1000 }),
    'intents/train.jsonl': [rows('hello', ['hi', 'good morning']), rows('hours', ['when are you open', 'opening times?']), rows('oos', ['tell me a joke'])].join('\n') + '\n',
    'intents/test.jsonl': [rows('hello', ['hey there friend']), rows('hours', ['are you closed sundays']), rows('oos', ['weather in rome'])].join('\n') + '\n',
    'kb/faq.json': JSON.stringify([{ id: 'f1', question: 'When are you open?', answer: '9 to 5.', intent: 'hours' }], null, 2),
    'kb/guide.md': '# Guide\n\n## Hours\n\nNine to five.\n',
  };
}

describe('domain pack checker', () => {
  it('accepts a valid pack and derives its routes and KB sections', () => {
    const r = checkPack(pack());
    expect(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n')).toBe(true);
    if (!r.ok) return;
    expect(r.pack.routes).toEqual({ domain: 'tiny', intents: JSON.parse(pack()['domain.json']).intents });
    expect(r.pack.sections.map((s) => s.id)).toEqual(['guide#guide', 'guide#hours']);
  });

  it('names file and line for JSONL rows, JSON values and cross-file rules', () => {
    const files = pack();
    files['intents/train.jsonl'] += '{"text": "hello again", "label": "greet"}\n{"text": 5, "label": "hello"}\nnot json\n';
    files['kb/faq.json'] = files['kb/faq.json'].replace('"intent": "hours"', '"intent": "opening"');
    files['templates.json'] = files['templates.json'].replace('"faqMinSimilarity": 0.8', '"faqMinSimilarity": 2');
    files['entities.json'] = '{\n  "place": { "rome": ["rome"] }\n}\n';
    const r = checkPack(files);
    expect(r.ok).toBe(false);
    const msgs = r.ok ? [] : r.issues.map(formatIssue);
    expect(msgs).toContainEqual(expect.stringMatching(/^intents\/train\.jsonl:7: text: .*string/));
    expect(msgs).toContainEqual(expect.stringMatching(/^intents\/train\.jsonl:8: invalid JSON/));
    expect(msgs).toContainEqual(expect.stringMatching(/^templates\.json:2: faqMinSimilarity: /));
    expect(msgs).toContainEqual(expect.stringMatching(/^entities\.json:2: place: domain\.json's entities do not list "place"/));
    // Cross-file rules run once the files parse: labels and FAQ intents must be domain intents.
    files['templates.json'] = pack()['templates.json'];
    files['intents/train.jsonl'] = pack()['intents/train.jsonl'] + '{"text": "hello again", "label": "greet"}\n';
    delete files['entities.json'];
    const again = checkPack(files);
    const msgs2 = again.ok ? [] : again.issues.map(formatIssue);
    expect(msgs2).toContainEqual('intents/train.jsonl:6: unknown label "greet" (not an intent of domain.json)');
    expect(msgs2).toContainEqual(expect.stringMatching(/^kb\/faq\.json:6: \[0\]\.intent: unknown intent "opening"/));
  });

  it('refuses a cacheable intent without a TTL, a template intent without a template, and near-duplicates of test', () => {
    const files = pack();
    const d = JSON.parse(files['domain.json']);
    delete d.intents.hours.cacheTtlSeconds;
    files['domain.json'] = JSON.stringify(d, null, 2);
    const r = checkPack(files);
    expect(r.ok ? [] : r.issues.map(formatIssue)).toContainEqual(expect.stringMatching(/^domain\.json:\d+: intents\.hours\.cacheTtlSeconds: a cacheable intent needs cacheTtlSeconds/));
    const f2 = pack();
    f2['templates.json'] = f2['templates.json'].replace('"hello": { "source"', '"x": { "source"').replace(/"hello": \{\s*"source": "t#hello"/, '"hours": { "source": "t#hello"');
    const r2 = checkPack(f2);
    expect(r2.ok ? [] : r2.issues.map(formatIssue)).toContainEqual(expect.stringMatching(/^templates\.json:\d+: intents: no template for "hello", whose route is template/));
    const f3 = pack();
    f3['intents/train.jsonl'] += JSON.stringify({ text: 'weather in rome?!', label: 'oos' }) + '\n';
    const r3 = checkPack(f3);
    expect(r3.ok ? [] : r3.issues.map(formatIssue)).toContainEqual(expect.stringMatching(/^intents\/train\.jsonl:6: (near-)?duplicate of intents\/test\.jsonl:3/));
  });

  it('finds the line of a JSON path and of a parse error', () => {
    const text = '{\n  "a": {\n    "b": [\n      1,\n      { "c": true }\n    ]\n  },\n  "d": "x"\n}\n';
    expect(lineOfPath(text, ['a', 'b', 1, 'c'])).toBe(5);
    expect(lineOfPath(text, ['d'])).toBe(8);
    expect(lineOfPath(text, ['a', 'missing'])).toBe(2);
    const bad = '{\n  "a": 1,\n  "b": ,\n}';
    let message = '';
    try {
      JSON.parse(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(lineOfParseError(bad, message)).toBe(3);
  });
});

describe('npm run domain', () => {
  it('check passes on both committed packs', () => {
    for (const p of ['domains/kitsune-books', 'domains/bank-support']) {
      const r = cli('check', p);
      expect(r.status, r.stderr + r.stdout).toBe(0);
    }
  });

  it('new scaffolds a pack that check accepts, and refuses a folder with files', () => {
    const dir = join(tmp, 'my-shop');
    const made = cli('new', dir);
    expect(made.status, made.stderr).toBe(0);
    const checked = cli('check', dir);
    expect(checked.status, checked.stderr + checked.stdout).toBe(0);
    expect(checked.stdout).toMatch(/hours_contact\s+cacheable/);
    expect(cli('new', dir).status).toBe(1);
  });

  it('check exits 1 and prints <dir>/<file>:<line> for a broken pack', () => {
    const dir = join(tmp, 'broken');
    cpSync(join(root, 'domains/bank-support'), dir, { recursive: true, filter: (s) => !s.includes('/models/') });
    const train = join(dir, 'intents/train.jsonl');
    const lines = readFileSync(train, 'utf8').split('\n');
    lines[9] = '{"text": "hi there", "label": "nonsense"}';
    writeFileSync(train, lines.join('\n'));
    writeFileSync(join(dir, 'cache.json'), '{\n  "thresholds": { "hit": 0.7, "stale": 0.9 },\n  "refreshMs": 5000\n}\n');
    const r = cli('check', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\/cache\.json:2: thresholds: stale must be <= hit/);
    // cache.json no longer parses, so the cross-file rules wait; fix it and the label error shows.
    writeFileSync(join(dir, 'cache.json'), readFileSync(join(root, 'domains/bank-support/cache.json')));
    const r2 = cli('check', dir);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/broken\/intents\/train\.jsonl:10: unknown label "nonsense"/);
  });

  it('build refuses a classifier folder outside the pack (the committed default models are not rebuilt here)', () => {
    const r = cli('build', 'domains/kitsune-books');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/outside the pack/);
  });
});

describe('the tiers read the same pack', () => {
  it("the edge's module for the default pack is the generator's output", () => {
    expect(readFileSync(DEFAULT_MODULE, 'utf8')).toBe(edgeDomainModule(DEFAULT_PACK, DEFAULT_MODULE));
  });

  it("the store's knowledge base documents are unchanged when read through its pack", async () => {
    expect(isDeepStrictEqual(packKbDocuments(domainPack()), await loadStoreKb())).toBe(true);
  });

  it('the pack reader skips model folders and reports', () => {
    const files = Object.keys(readPackFiles(join(root, 'domains/bank-support')));
    expect(files).toContain('kb/fees.md');
    expect(files.some((f) => f.startsWith('models/') || f.startsWith('reports/'))).toBe(false);
  });
});
