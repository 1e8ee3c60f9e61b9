/**
 * What `domain new` writes: a minimal valid pack for a generic help desk, one intent of each route
 * class (template, cacheable, llm) plus greetings, a hand-off and out of scope, a few labelled
 * messages per intent, templates, a two-entry FAQ and one knowledge-base page. Meant to be edited:
 * every text says what to replace.
 */

const rows = (label: string, texts: string[]) => texts.map((text) => JSON.stringify({ text, label })).join('\n');

const TRAIN: Record<string, string[]> = {
  greeting: ['hi', 'hello there', 'good morning', 'hey, anyone around?', 'thanks a lot', 'thank you, bye', 'who am i talking to', 'are you a bot', 'cheers', 'good evening!'],
  human_agent: ['i want to talk to a person', 'get me a human please', 'can i speak with an agent', 'transfer me to support staff', 'real person please', 'this bot is not helping, connect me to someone', 'i need a manager', 'escalate this please', 'let me chat with a live agent', 'operator'],
  hours_contact: ['what are your opening hours', 'when are you open', 'how can i contact you', 'what is your phone number', 'support email address?', 'are you open on sunday', 'what time do you close today', 'where is your office', 'how do i reach customer service', 'hours on public holidays'],
  question: ['how does your service work', 'can you explain the pricing', 'what do i need to sign up', 'is there a free trial', 'how do i cancel my plan', 'can i change my account details', 'what happens if i miss a payment', 'do you offer discounts for students', 'how long does setup take', 'which plan fits a small team'],
  oos: ["what's the weather tomorrow", 'tell me a joke about cats', 'who won the football game', 'write my essay on history', 'how do i bake bread', 'what is the capital of peru', 'recommend a movie', 'solve 17 times 23', 'translate hello into german', 'what is bitcoin worth now'],
};
const VAL: Record<string, string[]> = {
  greeting: ['yo', 'morning!', 'thx so much'],
  human_agent: ['need to speak to staff', 'human agent now', 'put me through to a representative'],
  hours_contact: ['business hours?', 'contact details please', 'is the office open saturday'],
  question: ['how do refunds work', 'what features are included', 'can two people share one account'],
  oos: ['sing me a song', 'best pizza near me', 'how tall is mount everest'],
};
const TEST: Record<string, string[]> = {
  greeting: ['hiya', 'much appreciated, goodbye', 'are you human?'],
  human_agent: ['can a real human help me', 'i demand to talk to somebody', 'pass me to your team'],
  hours_contact: ['when does support open', 'phone number for help', 'which days are you closed'],
  question: ['do you have an annual plan', 'how do i upgrade', 'is my data exported when i leave'],
  oos: ['what should i cook tonight', 'who is the president of france', 'play some music'],
};

const jsonl = (split: Record<string, string[]>) => Object.entries(split).map(([l, t]) => rows(l, t)).join('\n') + '\n';
const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** The pack's files by relative path; `embedderDir` is the default embedder folder relative to the pack. */
export function scaffoldPack(name: string, embedderDir: string): Record<string, string> {
  const display = name.replace(/[-_]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
  return {
    'domain.json': json({
      name,
      displayName: display,
      locale: 'en-US',
      description: `The ${display} assistant (scaffolded by npm run domain -- new; edit every file, see domains/README.md).`,
      intents: {
        greeting: { route: 'template', description: 'hello, thanks, bye, who are you' },
        human_agent: { route: 'template', description: 'hand the conversation to a person' },
        oos: { route: 'template', description: 'politely decline what this assistant does not cover' },
        hours_contact: { route: 'cacheable', cacheTtlSeconds: 86400, description: 'opening hours and contact details' },
        question: { route: 'llm', description: 'anything about the service, answered from the knowledge base' },
      },
      entities: ['number', 'date', 'place', 'term'],
      models: { classifier: 'models/intent', embedder: embedderDir },
      build: { classifier: { heads: 1, epochs: 20 } },
    }),
    'templates.json': json({
      faqMinSimilarity: 0.8,
      intents: {
        greeting: {
          source: 'templates#greeting',
          variants: [
            { when: ['thanks', 'thank', 'thx', 'cheers', 'appreciated'], text: "You're welcome! Anything else I can help with?" },
            { when: ['bye', 'goodbye'], text: 'Goodbye, and thanks for stopping by.' },
            { when: ['bot', 'human', 'who'], text: `I'm the ${display} assistant, an automated helper. Ask for a person at any time.` },
            { when: [], text: `Hi! I'm the ${display} assistant. How can I help?` },
          ],
        },
        human_agent: { source: 'templates#human-agent', variants: [{ when: [], text: 'I can pass you to a person: write to support@example.com and our team will answer within one business day.' }] },
        oos: { source: 'templates#oos', variants: [{ when: [], text: `Sorry, that's outside what I can help with here. I can answer questions about ${display}.` }] },
      },
      handoff: "Sorry, I can't answer that right now. Please write to support@example.com.",
    }),
    'entities.json': json({ about: 'Terms that change an answer: two messages naming different ones never share a cached answer.', term: { 'annual plan': ['annual plan', 'yearly plan'], 'monthly plan': ['monthly plan'] } }),
    'cache.json': json({ about: 'Semantic-cache thresholds for the default embedder (MRPC-calibrated); `domain build` recalibrates them from eval/paraphrases.jsonl when it has 20+ pairs.', thresholds: { hit: 0.895, stale: 0.775 }, refreshMs: 5000 }),
    'intents/train.jsonl': jsonl(TRAIN),
    'intents/val.jsonl': jsonl(VAL),
    'intents/test.jsonl': jsonl(TEST),
    'kb/faq.json': json([
      { id: 'faq-hours', question: 'What are your opening hours?', answer: 'We answer Monday to Friday, 9:00 to 17:00. Replace this with your own hours.', intent: 'hours_contact' },
      { id: 'faq-contact', question: 'How can I contact you?', answer: 'Write to support@example.com. Replace this with your own contact details.', intent: 'hours_contact' },
    ]),
    'kb/guide.md': `# ${display} guide\n\nReplace this page with what your assistant should know. Each \`##\` section becomes one retrievable document (id \`guide#<slug>\`).\n\n## Plans and pricing\n\nThe monthly plan costs 10 USD a month; the annual plan costs 100 USD a year. Both can be cancelled at any time from the account page.\n\n## Sign-up\n\nSign-up needs an email address and takes about two minutes. There is a 14-day free trial.\n`,
  };
}
