/** The offline generator: grounded sentences from the passages, within the request's output limit. */
import { describe, expect, it } from 'vitest';
import { EXTRACTIVE_LABEL, ExtractiveGenerator } from '../regional/src/generate/extractive.ts';
import type { LlmRequest } from '../regional/src/llm/types.ts';

const context = [
  { id: 'KB-POLICY-shipping', title: 'Shipping', text: 'Standard shipping within the US takes 3 to 5 business days and costs $4.99. Orders over $35 ship free within the contiguous US. Alaska and Hawaii shipping is a flat $12.99 and takes 5 to 9 business days.' },
  { id: 'KB-POLICY-returns', title: 'Returns', text: 'Returns of shipping damaged items are free within 14 days, and shipping labels are emailed within one business day.' },
];

async function answer(maxTokens: number): Promise<string> {
  const req: LlmRequest = { system: '', messages: [{ role: 'user', content: 'how long does shipping take to alaska and what does shipping cost?' }], maxTokens, tier: 'small', context };
  let text = '';
  for await (const c of new ExtractiveGenerator().generate(req)) if (c.type === 'delta') text += c.text;
  return text;
}

describe('extractive generator', () => {
  it('quotes the best matching sentences, labelled, and keeps within maxTokens', async () => {
    const full = await answer(300);
    expect(full.startsWith(EXTRACTIVE_LABEL)).toBe(true);
    expect(full).toMatch(/\$12\.99/);
    const short = await answer(25);
    const body = (t: string) => t.slice(EXTRACTIVE_LABEL.length);
    expect(body(short).length).toBeLessThan(body(full).length);
    expect(body(short).length).toBeLessThanOrEqual(25 * 4 + 2);
    // Every word of the short answer comes from the passages (cut at a word boundary, marked).
    const source = context.map((c) => c.text).join(' ');
    for (const w of body(short).replace(/…\.?$/, '').split(/\s+/)) expect(source).toContain(w.replace(/[.…]+$/, ''));
  });
});

describe('extractive generator on catalog passages', () => {
  it('answers a title with its price and availability, not the bare title', async () => {
    const req: LlmRequest = {
      system: '',
      messages: [{ role: 'user', content: 'do you have one piece volume 3 in stock?' }],
      maxTokens: 180,
      tier: 'small',
      context: [
        { id: 'KB-SKU-0003', title: 'One Piece, Vol. 3', text: 'One Piece, Vol. 3\nManga by Eiichiro Oda. Volume 3.\nPrice: $9.99. In stock (4 copies).\nLuffy meets Usopp.' },
        { id: 'KB-SKU-0005', title: 'One Piece, Vol. 5', text: 'One Piece, Vol. 5\nManga by Eiichiro Oda. Volume 5.\nPrice: $9.99. Out of stock.\nZoro fights.' },
      ],
    };
    let text = '';
    for await (const c of new ExtractiveGenerator().generate(req)) if (c.type === 'delta') text += c.text;
    expect(text).toMatch(/One Piece, Vol\. 3: Price: \$9\.99\. In stock \(4 copies\)\./);
  });
});
