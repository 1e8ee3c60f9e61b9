/**
 * The widget's on-device decision (browser/src/chat/device-answer.ts) with the store's real
 * models on onnxruntime-node, the pack's data as the bundle carries it, and the local semantic
 * cache in memory: a follow-up is resolved and classified in its conversation by the same shared
 * code as the edge (an unsure guess settled by the turn it leans on), and the device's cache is
 * keyed by the resolved message and its entities — a follow-up not resolved confidently neither
 * reads nor writes it. (The widget in Chromium, across a reload: tests/browser-widget.test.ts.)
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decideOnDevice, rememberEdgeAnswer, type DeviceContext, type DeviceDecision } from '../browser/src/chat/device-answer.ts';
import type { DeviceModels } from '../browser/src/runtime/device-models.ts';
import { TemplateAnswers } from '../shared/answers/template-answers.ts';
import { AspectDetector } from '../shared/cache/aspects.ts';
import { MemoryCacheStorage } from '../shared/cache/memory-storage.ts';
import { SemanticCache } from '../shared/cache/semantic-cache.ts';
import { storeGazetteer } from '../shared/cache/store-gazetteer.ts';
import { DialogueEntities } from '../shared/conversation/dialogue-entities.ts';
import type { ContextTurn } from '../shared/conversation/follow-up.ts';
import { applyRoutingConfig } from '../shared/routing/routing-config.ts';
import type { RouteEvent } from '../shared/api/chat.ts';
import { loadIntentClassifier, loadSentenceEmbedder } from '../regional/src/inference/load-node.ts';
import { loadPack, packModelDir } from '../models/pipeline/domain-pack.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';

const STORE = join(repoRoot(), 'domains/kitsune-books');
let ctx: DeviceContext;

beforeAll(async () => {
  const pack = loadPack(STORE, { dataRules: false });
  const clf = await loadIntentClassifier(packModelDir(STORE, pack, 'classifier'));
  const emb = await loadSentenceEmbedder(packModelDir(STORE, pack, 'embedder'));
  // As device-models.ts does: the pack's tuned routing thresholds, for the classifier they were tuned for.
  const { calibration } = applyRoutingConfig(clf.calibration, pack.routingConfig, `${clf.manifest.name}@${clf.manifest.version}`);
  const [probe] = await emb.embed(['probe']);
  const embedderVersion = `${emb.manifest.name}@${emb.manifest.version}`;
  const models = { classifier: clf.withCalibration(calibration), embedder: emb, embedderVersion, dimensions: probe.length } as unknown as DeviceModels;
  const templates = new TemplateAnswers(pack.templates, pack.faq);
  await templates.prepare((t) => emb.embed(t));
  const cache = new SemanticCache(new MemoryCacheStorage(), {
    modelVersion: embedderVersion,
    dimensions: probe.length,
    thresholds: pack.cache.thresholds,
    aspects: new AspectDetector(pack.cacheAspects),
    refreshMs: pack.cache.refreshMs,
  });
  await cache.ready();
  const dialogue = new DialogueEntities(storeGazetteer(pack.gazetteer, pack.catalog, pack.conversation), pack.conversation, pack.entityPatterns);
  ctx = { models, routes: pack.routes, templates, cache, dialogue };
}, 120_000);

/** The turn the widget keeps after a decision (switchyard-chat.ts `remember`). */
const turnOf = (d: DeviceDecision): ContextTurn => ({ text: d.resolution.text, entities: d.resolution.entities, intent: d.prediction.intent });

/** The edge's clean LLM answer to the device's decision, remembered on the device as the widget does. */
async function edgeAnswered(d: DeviceDecision, answer: string): Promise<boolean> {
  const route = { intent: d.prediction.intent, confidence: d.prediction.confidence, path: 'llm', modelVersion: 'm', traceId: 't', fallbacks: [], resolved: { text: d.resolution.text, carried: d.carried, entities: d.resolution.entities, confidence: d.resolution.confidence } } as RouteEvent;
  return rememberEdgeAnswer(ctx, d, d.resolution.text, route, answer, []);
}

describe('the on-device decision in a conversation', () => {
  it("settles an unsure follow-up by the turn it leans on, as the edge does, and answers it from the device's cache", async () => {
    const canada = await decideOnDevice('What does shipping to Canada cost?', ctx, []);
    expect(canada).toMatchObject({ kind: 'edge', path: 'cache', prediction: { intent: 'shipping_info', confident: true } });
    expect(await edgeAnswered(canada, 'Shipping to Canada costs $14.99.')).toBe(true);

    const japan = await decideOnDevice('and to Japan?', ctx, [turnOf(canada)]);
    expect(japan.resolution.text).toBe('what does shipping to japan cost?');
    // The classifier alone is unsure of the resolved words; the conversation makes it shipping_info.
    const [alone] = await ctx.models.classifier.classify([japan.resolution.text]);
    expect(alone).toMatchObject({ intent: 'shipping_info', confident: false });
    expect(japan).toMatchObject({ kind: 'edge', path: 'cache', prediction: { intent: 'shipping_info', confident: true } });
    expect(japan.carried).toEqual(['frame', 'intent:shipping_info']);
    expect(await edgeAnswered(japan, 'Shipping to Japan costs $24.99.')).toBe(true);

    // Another conversation: the same follow-up is answered on the device, with Japan's answer.
    const again = await decideOnDevice('and to Japan?', ctx, [turnOf(await decideOnDevice('What does shipping to Canada cost?', ctx, []))]);
    expect(again.kind).toBe('cache');
    if (again.kind === 'cache') expect(again.hit.answer.answer).toBe('Shipping to Japan costs $24.99.');
    // Without the conversation the same words are unresolved: no cache read or write.
    const bare = await decideOnDevice('and to Japan?', ctx, []);
    expect(bare).toMatchObject({ kind: 'edge', key: null });
    expect(bare.resolution.kind).not.toBe('standalone');
  });

  it('a follow-up resolved without confidence neither reads nor writes the cache', async () => {
    // The antecedent several turns back: the resolution's confidence falls under 0.75.
    const turns: ContextTurn[] = [
      turnOf(await decideOnDevice('Do you ship to Canada?', ctx, [])),
      ...['what is your return policy?', 'what are your support hours?', 'hello!'].map((text) => ({ text, entities: [] })),
    ];
    const d = await decideOnDevice('how long does it take to get there?', ctx, turns);
    expect(d.resolution.confidence).toBeLessThan(0.75);
    expect(d.kind).toBe('edge');
    if (d.kind === 'edge') expect(d.key).toBeNull();
    expect(await edgeAnswered(d, 'Canada: 5 to 8 business days.')).toBe(false);
  });

  it('takes a message with no word the models know for the edge, whatever the guess', async () => {
    const d = await decideOnDevice('日本への送料はいくらですか', ctx, []);
    expect(d).toMatchObject({ kind: 'edge', path: 'llm', prediction: { intent: 'oos', confident: false } });
  });
});
