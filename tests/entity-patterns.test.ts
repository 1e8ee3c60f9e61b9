/**
 * Id shapes are domain data (entities.json `patterns`, shared/cache/entities.ts): the store's
 * order and product ids come from its pack, the bank pack declares its own, nothing is built in,
 * and the pack checker refuses a pattern that does not compile or names an undeclared kind.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readPackFiles } from '../models/pipeline/domain-pack.ts';
import { EntityExtractor } from '../shared/cache/entities.ts';
import { checkPack } from '../shared/domain/pack-check.ts';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const packOf = (dir: string) => {
  const r = checkPack(readPackFiles(dir), sha, { dataRules: false });
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('; '));
  return r.pack;
};

describe('entity patterns', () => {
  const store = packOf('domains/kitsune-books');
  const storeIds = new EntityExtractor(store.gazetteer, store.entityPatterns);

  it("reads the store's order and product ids from its pack, and no digits of them as numbers", () => {
    expect(storeIds.extract('where is my order KB-12345?')).toEqual([{ kind: 'order', value: 'kb-12345' }]);
    expect(storeIds.extract('is KB-SKU-12 in stock')).toEqual([{ kind: 'product', value: 'kb-sku-0012' }]);
    expect(storeIds.extract('order number 123456 has not arrived')).toEqual([{ kind: 'order', value: 'kb-123456' }]);
    expect(storeIds.signature('KB-12345 or KB-12346')).toBe('order:kb-12345|order:kb-12346');
  });

  it('knows no id shape of its own: without the pack an id is only its number', () => {
    expect(new EntityExtractor(store.gazetteer).extract('where is my order KB-12345?')).toEqual([{ kind: 'number', value: '12345' }]);
  });

  it('lets the bank pack declare its own', () => {
    const bank = packOf('domains/bank-support');
    expect(bank.entityPatterns.map((p) => p.kind)).toEqual(['number']);
    const ids = new EntityExtractor(bank.gazetteer, bank.entityPatterns);
    expect(ids.signature('my card ending in 4821 was declined')).toBe('number:ending-4821');
    expect(ids.signature('my card ending in 4821 was declined')).not.toBe(ids.signature('my card ending in 4822 was declined'));
    expect(ids.extract('where is my order KB-12345?')).toEqual([{ kind: 'number', value: '12345' }]);
  });

  it('is checked: a pattern must compile and its kind must be one domain.json lists', () => {
    const files = readPackFiles('domains/bank-support');
    const json = JSON.parse(files['entities.json']);
    const broken = JSON.stringify({ ...json, patterns: { number: [{ match: '(unclosed', value: 'x' }], order: [{ match: 'R-(\\d+)', value: 'r-{1}' }] } }, null, 2);
    const r = checkPack({ ...files, 'entities.json': broken }, sha, { dataRules: false });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues.filter((i) => i.file === 'entities.json').map((i) => `${i.line}: ${i.message}`);
    expect(issues.some((m) => /^\d+: patterns\.number\.0\.match: must be a valid regular expression/.test(m))).toBe(true);
    const undeclared = JSON.stringify({ ...json, patterns: { order: [{ match: 'R-(\\d+)', value: 'r-{1}' }] } }, null, 2);
    const r2 = checkPack({ ...files, 'entities.json': undeclared }, sha, { dataRules: false });
    expect(r2.ok ? [] : r2.issues.map((i) => i.message)).toContain('patterns.order: domain.json\'s entities do not list "order"');
  });
});
