/**
 * Follow-ups a partner sends straight to the region (its own key, no edge in front): the region
 * resolves them with the resolver the edge and the widget run (shared/conversation) against the
 * session's turns in its own store (SQLite and PostgreSQL) or a stateless caller's `history`, and
 * classifies and answers the resolved question. Standalone messages read places with the domain's
 * aliases, and a fresh topic borrows nothing. The offline generator answers (no LLM configured).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';

const KEY = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };

describe.each(['sqlite', 'postgres'] as const)('partner follow-ups at the region (%s)', (dialect) => {
  let db: TempDatabase;
  let region: RunningRegional;
  beforeAll(async () => {
    db = await tempDatabase(dialect, 'sy-partner-fu-');
    region = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, LLM_BACKEND: 'extractive', CLASSIFY_TIMEOUT_MS: '20000' }), () => {});
  }, 180_000);
  afterAll(async () => {
    await region?.close();
    await db?.cleanup();
  });

  const generate = async (body: object) => {
    const res = await fetch(`${region.url}/v1/generate`, { method: 'POST', headers: KEY, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return res.json();
  };
  const session = () => `${dialect}-${crypto.randomUUID()}`;

  it('answers a pronoun follow-up about the copy the last turn named', async () => {
    const sessionId = session();
    await generate({ message: 'How much is Berserk Deluxe Edition volume 1?', sessionId });
    const two = await generate({ message: 'and volume 2?', sessionId });
    const stock = await generate({ message: 'is it in stock?', sessionId });
    expect(two.text).toMatch(/Berserk Deluxe Edition, Vol\. 2/);
    expect(stock.text).toMatch(/Berserk Deluxe Edition, Vol\. 2/);
    expect(stock.text).toMatch(/in stock/);
    expect(stock.route.resolved.carried.some((c: string) => c.startsWith('product:berserk'))).toBe(true);
  });

  it('carries the destination across a switch and reads its aliases', async () => {
    const sessionId = session();
    await generate({ message: 'Do you ship to Canada?', sessionId });
    const other = await generate({ message: 'what about holland?', sessionId });
    expect(other.route.intent).toBe('shipping_info');
    expect(other.text).toMatch(/European Union/);
    expect(other.text).not.toMatch(/Canada/);
    expect(other.route.resolved.entities).toContainEqual({ kind: 'place', value: 'netherlands' });
  });

  it('reads an alias in a message that leans on nothing', async () => {
    const alone = await generate({ message: 'do yall deliver to holland', sessionId: session() });
    expect(alone.text).toMatch(/European Union/);
    expect(alone.route.resolved.carried).toEqual([]);
  });

  it("resolves against a stateless caller's history", async () => {
    const history = [
      { role: 'user', content: 'do you have chainsaw man vol 3' },
      { role: 'assistant', content: 'Yes, we do.' },
    ];
    const r = await generate({ message: 'is it in stock?', sessionId: session(), history });
    expect(r.text).toMatch(/Chainsaw Man, Vol\. 3/);
    expect(r.route.resolved.text).toMatch(/chainsaw man/i);
  });

  it('lets a fresh topic borrow nothing from the turn before', async () => {
    const sessionId = session();
    await generate({ message: 'How much is Berserk Deluxe Edition volume 1?', sessionId });
    const fresh = await generate({ message: "what's your return policy?", sessionId });
    expect(fresh.route.resolved.carried).toEqual([]);
    expect(fresh.text).not.toMatch(/Berserk/);
    expect(fresh.text).toMatch(/return/i);
  });

  it("keeps the edge's resolution when the edge sent one", async () => {
    const sessionId = session();
    await generate({ message: 'Do you ship to Canada?', sessionId });
    const r = await generate({
      message: 'and how long does that take?',
      sessionId,
      intent: 'shipping_info',
      confidence: 0.9,
      resolved: { text: 'how long does shipping to japan take?', carried: ['place:japan'], entities: [{ kind: 'place', value: 'japan' }] },
    });
    expect(r.text).toMatch(/Japan/);
    expect(r.route.resolved).toBeUndefined(); // the edge shows its own
  });
});

describe("a partner's OpenAI-compatible chat at the region", () => {
  let db: TempDatabase;
  let region: RunningRegional;
  beforeAll(async () => {
    db = await tempDatabase('sqlite', 'sy-partner-oai-');
    region = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url, LLM_BACKEND: 'extractive', CLASSIFY_TIMEOUT_MS: '20000' }), () => {});
  }, 180_000);
  afterAll(async () => {
    await region?.close();
    await db?.cleanup();
  });

  it('answers the last message in the context of the earlier ones', async () => {
    const res = await fetch(`${region.url}/v1/chat/completions`, {
      method: 'POST',
      headers: KEY,
      body: JSON.stringify({
        model: 'switchyard',
        messages: [
          { role: 'user', content: 'how much is naruto volume 1' },
          { role: 'assistant', content: 'Naruto, Vol. 1 is $9.99.' },
          { role: 'user', content: 'and volume 3?' },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.choices[0].message.content).toMatch(/Naruto, Vol\. 3/);
    expect(body.switchyard.resolved.text).toMatch(/naruto volume 3/i);
  });
});
