// Validates the Kitsune Books demo-domain data. Usage: node domains/kitsune-books/check.mjs
// Plain Node ESM, no dependencies. Exits with code 1 if any check fails.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(fileURLToPath(import.meta.url));
const LABELS = [
  'order_status', 'return_policy', 'shipping_info', 'store_hours_contact', 'product_question',
  'recommendation', 'price_availability', 'purchase_help', 'human_agent', 'greeting_chitchat', 'oos',
];
const MIN_PER_LABEL = { train: 200, val: 50, test: 50 };
// The first 275 lines of test.jsonl are the v1 test split, kept byte for byte so that old and new
// figures stay comparable (BENCHMARKS.md reports both); the v2 additions follow them.
const TEST_V1 = { lines: 275, sha256: 'f0669af994dff91b118dd93a750d75ab9f6ae564068ae1cb42d84bad7b828f6c' };
// Near-duplicates across train/val and test: character-trigram Jaccard >= 0.6 or word-set
// Jaccard >= 0.8 on lowercased text with punctuation turned into spaces.
const NEAR = { trigram: 0.6, words: 0.8 };
const errors = [];
const fail = (msg) => errors.push(msg);

const normalize = (s) => s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, '').replace(/\s+/g, ' ').trim();
const slugify = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');

function readJsonl(rel) {
  const lines = readFileSync(join(ROOT, rel), 'utf8').split('\n');
  const rows = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try { rows.push({ row: JSON.parse(line), line: i + 1 }); } catch (e) { fail(`${rel}:${i + 1}: invalid JSON (${e.message})`); }
  });
  return rows;
}

// ---- intents
const counts = {};
const texts = { train: [], val: [], test: [] };
const seenExact = new Map();
const seenNorm = new Map();
for (const split of Object.keys(MIN_PER_LABEL)) {
  const rel = `intents/${split}.jsonl`;
  counts[split] = Object.fromEntries(LABELS.map((l) => [l, 0]));
  for (const { row, line } of readJsonl(rel)) {
    const where = `${rel}:${line}`;
    const keys = Object.keys(row).sort().join(',');
    if (keys !== 'label,text') fail(`${where}: expected exactly keys {text,label}, got {${keys}}`);
    if (typeof row.text !== 'string' || !row.text.trim()) { fail(`${where}: empty or non-string text`); continue; }
    if (!LABELS.includes(row.label)) { fail(`${where}: unknown label "${row.label}"`); continue; }
    counts[split][row.label]++;
    texts[split].push({ text: row.text, label: row.label, where });
    const n = normalize(row.text);
    if (seenExact.has(row.text)) fail(`${where}: exact duplicate of ${seenExact.get(row.text)}: "${row.text}"`);
    else if (!n) fail(`${where}: text is empty after normalization`);
    else if (seenNorm.has(n)) fail(`${where}: normalized duplicate of ${seenNorm.get(n)}: "${row.text}"`);
    seenExact.set(row.text, seenExact.get(row.text) ?? where);
    if (n && !seenNorm.has(n)) seenNorm.set(n, where);
  }
  for (const l of LABELS) {
    if (counts[split][l] < MIN_PER_LABEL[split]) fail(`${rel}: label ${l} has ${counts[split][l]} examples, minimum is ${MIN_PER_LABEL[split]}`);
  }
}

const v1 = readFileSync(join(ROOT, 'intents/test.jsonl'), 'utf8').split('\n').slice(0, TEST_V1.lines).join('\n') + '\n';
if (createHash('sha256').update(v1).digest('hex') !== TEST_V1.sha256) fail(`intents/test.jsonl: the first ${TEST_V1.lines} lines (the v1 test split) changed; append new test messages after them`);

const spaced = (s) => s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, ' ').replace(/\s+/g, ' ').trim();
const trigrams = (s) => {
  const t = ` ${spaced(s)} `;
  const g = new Set();
  for (let i = 0; i + 3 <= t.length; i++) g.add(t.slice(i, i + 3));
  return g;
};
const jaccard = (a, b) => {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter || 1);
};
const features = (rows) => rows.map((r) => ({ ...r, g: trigrams(r.text), w: new Set(spaced(r.text).split(' ')) }));
const testRows = features(texts.test);
let nearCount = 0;
for (const r of features([...texts.train, ...texts.val])) {
  for (const t of testRows) {
    const g = jaccard(r.g, t.g);
    const w = jaccard(r.w, t.w);
    if (g >= NEAR.trigram || w >= NEAR.words) {
      nearCount++;
      fail(`${r.where}: near-duplicate of ${t.where} (trigram ${g.toFixed(2)}, words ${w.toFixed(2)}): "${r.text}" ~ "${t.text}"`);
    }
  }
}

// ---- catalog
const CATALOG_FIELDS = ['id', 'title', 'author', 'type', 'genre', 'volume', 'format', 'language', 'ageRating', 'priceUsd', 'stock', 'preorder', 'description'];
const TYPES = ['manga', 'light_novel', 'graphic_novel', 'book'];
const FORMATS = ['paperback', 'hardcover', 'box set', 'ebook'];
const AGE = ['All ages', 'Teen', 'Older Teen', 'Mature'];
const catalog = JSON.parse(readFileSync(join(ROOT, 'kb/catalog.json'), 'utf8'));
const skuIds = new Set();
if (!Array.isArray(catalog)) fail('kb/catalog.json: not an array');
for (const [i, item] of catalog.entries()) {
  const where = `kb/catalog.json[${i}] (${item.id ?? 'no id'})`;
  for (const f of CATALOG_FIELDS) if (!(f in item)) fail(`${where}: missing field "${f}"`);
  if (!/^KB-SKU-\d{4}$/.test(item.id ?? '')) fail(`${where}: id must look like KB-SKU-0001`);
  if (skuIds.has(item.id)) fail(`${where}: duplicate id`);
  skuIds.add(item.id);
  for (const f of ['title', 'author', 'language', 'description']) if (typeof item[f] !== 'string' || !item[f].trim()) fail(`${where}: ${f} must be a non-empty string`);
  if (!TYPES.includes(item.type)) fail(`${where}: bad type "${item.type}"`);
  if (!FORMATS.includes(item.format)) fail(`${where}: bad format "${item.format}"`);
  if (!AGE.includes(item.ageRating)) fail(`${where}: bad ageRating "${item.ageRating}"`);
  if (!Array.isArray(item.genre) || !item.genre.length || item.genre.some((g) => typeof g !== 'string')) fail(`${where}: genre must be a non-empty string array`);
  if (!(item.volume === null || (typeof item.volume === 'number' && Number.isInteger(item.volume) && item.volume >= 0))) fail(`${where}: volume must be a non-negative integer or null`);
  if (typeof item.priceUsd !== 'number' || item.priceUsd <= 0 || Math.abs(item.priceUsd * 100 - Math.round(item.priceUsd * 100)) > 1e-6) fail(`${where}: priceUsd must be a positive number with at most 2 decimals`);
  if (!Number.isInteger(item.stock) || item.stock < 0) fail(`${where}: stock must be a non-negative integer`);
  if (typeof item.preorder !== 'boolean') fail(`${where}: preorder must be boolean`);
  if (item.preorder && !/^\d{4}-\d{2}-\d{2}$/.test(item.releaseDate ?? '')) fail(`${where}: preorder items need releaseDate YYYY-MM-DD`);
  if (!item.preorder && 'releaseDate' in item) fail(`${where}: releaseDate only allowed on preorder items`);
}

// ---- policies
const policies = readFileSync(join(ROOT, 'kb/policies.md'), 'utf8');
const policySlugs = new Set([...policies.matchAll(/^##\s+(.+)$/gm)].map((m) => 'policies#' + slugify(m[1])));

// ---- faq
const faq = JSON.parse(readFileSync(join(ROOT, 'kb/faq.json'), 'utf8'));
const faqIds = new Set();
for (const [i, f] of faq.entries()) {
  const where = `kb/faq.json[${i}] (${f.id ?? 'no id'})`;
  if (!/^faq-\d{3}$/.test(f.id ?? '')) fail(`${where}: id must look like faq-001`);
  if (faqIds.has(f.id)) fail(`${where}: duplicate id`);
  faqIds.add(f.id);
  for (const k of ['question', 'answer']) if (typeof f[k] !== 'string' || !f[k].trim()) fail(`${where}: ${k} must be a non-empty string`);
  if (!LABELS.includes(f.intent)) fail(`${where}: unknown intent "${f.intent}"`);
}

// ---- retrieval questions
const questions = readJsonl('kb/questions.jsonl');
const known = (id) => skuIds.has(id) || faqIds.has(id) || policySlugs.has(id);
for (const { row, line } of questions) {
  const where = `kb/questions.jsonl:${line}`;
  if (typeof row.question !== 'string' || !row.question.trim()) fail(`${where}: missing question`);
  if (!Array.isArray(row.relevant) || !row.relevant.length) { fail(`${where}: relevant must be a non-empty array`); continue; }
  for (const id of row.relevant) if (!known(id)) fail(`${where}: unknown relevant id "${id}"`);
}

// ---- report
const pad = (s, n) => String(s).padEnd(n);
console.log(pad('label', 22) + pad('train', 7) + pad('val', 6) + 'test');
for (const l of LABELS) console.log(pad(l, 22) + pad(counts.train[l], 7) + pad(counts.val[l], 6) + counts.test[l]);
const total = (s) => Object.values(counts[s]).reduce((a, b) => a + b, 0);
console.log(pad('TOTAL', 22) + pad(total('train'), 7) + pad(total('val'), 6) + total('test'));
const series = new Set(catalog.map((c) => c.title.split(/,| \(|:| Box Set| Complete| Deluxe| Black Edition| Omnibus/)[0].trim()));
console.log(`catalog: ${catalog.length} items (~${series.size} distinct series/books), ${catalog.filter((c) => c.preorder).length} preorders, ${catalog.filter((c) => c.stock === 0).length} out of stock`);
console.log(`near-duplicates between train/val and test: ${nearCount} (trigram Jaccard >= ${NEAR.trigram} or word Jaccard >= ${NEAR.words})`);
console.log(`faq: ${faq.length} entries; policies sections: ${[...policySlugs].join(', ')}`);
console.log(`questions: ${questions.length} retrieval questions`);
if (errors.length) {
  console.error(`\nFAILED with ${errors.length} error(s):`);
  for (const e of errors.slice(0, 50)) console.error('  - ' + e);
  process.exit(1);
}
console.log('\nOK: all checks passed');
