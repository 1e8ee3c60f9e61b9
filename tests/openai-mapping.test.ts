/** The OpenAI request mapping (messages → message + history, parameter tables) and the output limits, without a server. */
import { describe, expect, it } from 'vitest';
import { MAX_HISTORY_TURNS } from '../shared/api/chat.ts';
import { ApiError } from '../shared/api/errors.ts';
import { mapChatCompletionRequest, REFUSED_PARAMS } from '../shared/api/openai/chat-request.ts';
import { openAiErrorBody } from '../shared/api/openai/errors.ts';
import { TextLimits } from '../shared/api/openai/text-limits.ts';

const map = (body: Record<string, unknown>) => mapChatCompletionRequest({ model: 'm', ...body }, () => 'fresh-session');
const paramOf = (body: Record<string, unknown>) => {
  try {
    map(body);
  } catch (e) {
    return openAiErrorBody(e as ApiError).error.param;
  }
  return 'accepted';
};

describe('OpenAI chat request mapping', () => {
  it('answers the last user message and keeps the earlier turns, newest last, as history', () => {
    const turns = Array.from({ length: 20 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}` }));
    const { chat } = map({ messages: [...turns, { role: 'user', content: [{ type: 'text', text: 'and' }, { type: 'text', text: 'volume 2?' }] }] });
    expect(chat.message).toBe('and\nvolume 2?');
    expect(chat.history).toHaveLength(MAX_HISTORY_TURNS);
    expect(chat.history!.at(-1)).toEqual({ role: 'assistant', content: 'turn 19' });
    expect(chat.history![0].content).toBe(`turn ${20 - MAX_HISTORY_TURNS}`);
  });

  it('takes the session from metadata.session_id, else user, else a new one; maps the output budget', () => {
    const msgs = [{ role: 'user', content: 'hi' }];
    expect(map({ messages: msgs }).chat.sessionId).toBe('fresh-session');
    expect(map({ messages: msgs, user: 'u1' }).chat).toMatchObject({ sessionId: 'u1', userId: 'u1' });
    expect(map({ messages: msgs, user: 'u1', metadata: { session_id: 's9' } }).chat.sessionId).toBe('s9');
    const m = map({ messages: msgs, max_tokens: 50, max_completion_tokens: 20, temperature: 0.2 });
    expect(m.chat.generation).toEqual({ maxTokens: 20, temperature: 0.2 });
    expect(m.options.maxTokens).toBe(20);
    expect(map({ messages: msgs }).chat.generation).toBeUndefined();
  });

  it("takes system and developer messages, wherever they stand, as the caller's instructions, in order", () => {
    const { chat } = map({
      messages: [
        { role: 'system', content: 'You are the shop assistant of an anime fan site.' },
        { role: 'user', content: 'do you ship to canada?' },
        { role: 'assistant', content: 'Yes.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in two sentences at most.' }] },
        { role: 'user', content: 'how long does it take?' },
      ],
    });
    expect(chat.message).toBe('how long does it take?');
    expect(chat.history).toEqual([
      { role: 'user', content: 'do you ship to canada?' },
      { role: 'assistant', content: 'Yes.' },
    ]);
    expect(chat.generation).toEqual({ instructions: 'You are the shop assistant of an anime fan site.\n\nAnswer in two sentences at most.' });
    expect(paramOf({ messages: [{ role: 'system', content: 'x'.repeat(8001) }, { role: 'user', content: 'hi' }] })).toBe('messages');
    expect(paramOf({ messages: [{ role: 'system', content: '  ' }, { role: 'user', content: 'hi' }] })).toBe('messages[0].content');
    expect(paramOf({ messages: [{ role: 'user', content: 'hi' }, { role: 'system', content: 'be brief' }] })).toBe('accepted');
    expect(paramOf({ messages: [{ role: 'system', content: 'be brief' }] })).toBe('messages');
  });

  it('refuses every refused parameter when it asks for something, and accepts its neutral value and null', () => {
    const msgs = [{ role: 'user', content: 'hi' }];
    for (const p of Object.keys(REFUSED_PARAMS)) {
      expect(paramOf({ messages: msgs, [p]: 7 })).toBe(p);
      expect(paramOf({ messages: msgs, [p]: null })).toBe('accepted');
    }
    expect(paramOf({ messages: msgs, n: 1, top_p: 1, presence_penalty: 0, logprobs: false, tools: [], store: false, service_tier: 'auto' })).toBe('accepted');
    expect(paramOf({ messages: msgs, stream_options: { include_usage: true, bogus: 1 } })).toBe('stream_options');
    expect(paramOf({ messages: [{ role: 'user', content: 'x'.repeat(4001) }] })).toBe('messages[0].content');
    expect(paramOf({ messages: [{ role: 'assistant', content: 'a', tool_calls: [{ id: '1' }] }, { role: 'user', content: 'b' }] })).toBe('messages[0].tool_calls');
    expect(paramOf({ messages: [{ role: 'robot', content: 'b' }] })).toBe('messages[0].role');
  });
});

describe('output limits', () => {
  const run = (parts: string[], stop: string[], max?: number) => {
    const l = new TextLimits(stop, max);
    const out = parts.map((p) => l.push(p)).join('') + l.flush();
    return { out, finish: l.finished ?? 'stop' };
  };
  it('ends before a stop sequence split across parts, and at the token budget', () => {
    expect(run(['Hello wo', 'rld. Bye'], ['world'])).toEqual({ out: 'Hello ', finish: 'stop' });
    expect(run(['abcdefgh', 'ijkl'], [], 2)).toEqual({ out: 'abcdefgh', finish: 'length' });
    expect(run(['abcdefgh'], [], 2)).toEqual({ out: 'abcdefgh', finish: 'stop' });
    expect(run(['ab', 'c'], ['cd'])).toEqual({ out: 'abc', finish: 'stop' });
  });
});
