/**
 * `npm run replay:cache`: the LLM-bypass share of a replayed store traffic mix (store test
 * messages with repeats, plus the paraphrase set's test pairs) before and after cache key frames:
 * `before` keys by intent + entity signature with the single hit threshold, `after` by the key
 * frame with the per-intent thresholds of the store's cache.json, and `afterWithRoutingConfig` as
 * `after` with the classifier deciding by the pack's tuned routing config (routing/). Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../pipeline/datasets.ts';
import { loadIntentClassifier, loadSentenceEmbedder } from '../pipeline/load-node.ts';
import { parseIntentRoutes } from '../../shared/routing/intent-routes.ts';
import { parseRoutingConfig } from '../../shared/routing/routing-config-schema.ts';
import { decideWithRouting } from '../../shared/routing/routing-config.ts';
import { answersNeed, ParaphraseTemplates, readParaphrases } from '../eval/paraphrase-set.ts';
import { replay, trafficMix } from '../eval/replay-traffic.ts';
import { domainKeying } from '../eval/score-cache-pairs.ts';

const dir = join(repoRoot(), 'domains', 'kitsune-books');
const json = (p: string) => JSON.parse(readFileSync(join(dir, p), 'utf8'));
const cfg = json('cache.json');
const clf = await loadIntentClassifier(join(repoRoot(), 'models', 'default', 'store-intent'));
const emb = await loadSentenceEmbedder(join(repoRoot(), 'models', 'default', 'embedder'));
const routes = parseIntentRoutes(json('routes.json'), clf.labels);
const test = readFileSync(join(dir, 'intents', 'test.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text);
const mix = trafficMix(test, readParaphrases(join(dir, 'eval', 'paraphrases.jsonl')).filter((p) => p.split === 'test'));
const predictions = [];
const vectors = [];
for (let i = 0; i < mix.messages.length; i += 64) {
  const b = mix.messages.slice(i, i + 64);
  predictions.push(...(await clf.classify(b)));
  vectors.push(...(await emb.embed(b)));
}
const k = domainKeying(dir, dir);
const templates = ParaphraseTemplates.parse(json('eval/paraphrase-templates.json'));
const base = { routes, predictions, vectors, dimensions: vectors[0].length, answers: (a: string, b: string) => answersNeed(a, b, templates) };
const before = await replay(mix, { ...base, entities: (t) => k.extractor.extract(t), aspects: null, thresholds: { hit: cfg.thresholds.hit, stale: cfg.thresholds.stale } });
const after = await replay(mix, { ...base, entities: k.frameEntities, aspects: k.aspects, thresholds: cfg.thresholds });
// And with the pack's tuned routing config (routing/): the classifier's per-intent thresholds.
const rc = { id: `${json('routing/manifest.json').name}@${json('routing/manifest.json').version}`, config: parseRoutingConfig(json('routing/routing-config.json'), 'routing/routing-config.json') };
const clfId = `${clf.manifest.name}@${clf.manifest.version}`;
const tuned = await replay(mix, { ...base, predictions: predictions.map((p) => decideWithRouting(p, clf.calibration, rc, clfId)), entities: k.frameEntities, aspects: k.aspects, thresholds: cfg.thresholds });
console.log(JSON.stringify({ messages: mix.messages.length, routingConfig: rc.config.classifier === clfId ? rc.id : `none (${rc.id} is for ${rc.config.classifier})`, before, after, afterWithRoutingConfig: tuned }, null, 2));
