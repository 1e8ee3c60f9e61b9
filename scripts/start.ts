/**
 * `npm start`: loads the embedded default models (sha256-checked against their manifests) and
 * answers a few store messages with them, offline. The edge Worker, the regional service and the
 * widget page join this command as they land (see README, "Status").
 */
import { join } from 'node:path';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { loadIntentClassifier, loadSentenceEmbedder } from '../models/runtime/load-node.ts';
import { cosine } from '../shared/models/sentence-embedder.ts';

const dir = join(repoRoot(), 'models', 'default');
const clf = await loadIntentClassifier(join(dir, 'store-intent'));
const emb = await loadSentenceEmbedder(join(dir, 'embedder'));
console.log(`Switchyard — models loaded and verified:`);
for (const m of [clf.manifest, emb.manifest]) console.log(`  ${m.name}@${m.version} (${(m.sizeBytes / 1e6).toFixed(1)} MB)`);
const samples = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['hi there!', 'wheres my pakage, order KB-48213', 'do you ship to alaska?', 'any manga like frieren?', 'what is the weather in paris'];
const preds = await clf.classify(samples);
console.log('\nmessage → intent (confidence, routed with no LLM if confident):');
samples.forEach((s, i) => {
  const p = preds[i];
  console.log(`  ${JSON.stringify(s)} → ${p.intent} (${p.confidence.toFixed(2)}${p.confident ? ', confident' : ''})`);
});
const [a, b] = await emb.embed(['do you ship to alaska', 'can you deliver to alaska']);
console.log(`\nsemantic cache key similarity of two paraphrases: ${cosine(a, b).toFixed(3)}`);
