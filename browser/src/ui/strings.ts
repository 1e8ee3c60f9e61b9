/**
 * The widget's own interface text, generic: the words that name the business (heading,
 * placeholder, welcome…) come from the pack (domain.json `widget.strings`, via page-info), and the
 * answers from its data and the edge.
 */

export interface Strings {
  heading: string;
  open: string;
  close: string;
  inputLabel: string;
  placeholder: string;
  send: string;
  conversation: string;
  welcome: string;
  thinking: string;
  answered: string;
  offlineBanner: string;
  offlineAnswer: string;
  offlineStaleNote: string;
  staleNote: string;
  interrupted: string;
  requestError: string;
  origin: Record<Origin, string>;
  diagnostics: string;
}

/** Where an answer came from, as shown under it. */
export type Origin = 'device' | 'device-cache' | 'edge' | 'edge-cache' | 'assistant' | 'handoff' | 'offline';

const en: Strings = {
  heading: 'Assistant',
  open: 'Open the assistant',
  close: 'Close the assistant',
  inputLabel: 'Your question',
  placeholder: 'Ask a question…',
  send: 'Send',
  conversation: 'Conversation',
  welcome: 'Hi! How can I help?',
  thinking: 'The assistant is answering…',
  answered: 'The assistant answered.',
  offlineBanner: "You're offline. Answers this device knows still work; everything else waits for a connection.",
  offlineAnswer: "You're offline, and this question needs the assistant. Please ask again once you're back online.",
  offlineStaleNote: "(You're offline, so here is an earlier answer to a similar question.) ",
  staleNote: "(The assistant can't be reached, so here is an earlier answer to a similar question.) ",
  interrupted: '(The answer was interrupted.)',
  requestError: 'Sorry, that message could not be sent: ',
  origin: {
    device: 'On device',
    'device-cache': 'On device (saved answer)',
    edge: 'Edge',
    'edge-cache': 'Edge cache',
    assistant: 'Assistant',
    handoff: 'Handoff',
    offline: 'Offline',
  },
  diagnostics: 'Diagnostics',
};

const ja: Strings = {
  heading: 'アシスタント',
  open: 'アシスタントを開く',
  close: 'アシスタントを閉じる',
  inputLabel: 'ご質問',
  placeholder: '質問を入力…',
  send: '送信',
  conversation: '会話',
  welcome: 'こんにちは！ご用件をお聞かせください。',
  thinking: 'アシスタントが回答しています…',
  answered: 'アシスタントが回答しました。',
  offlineBanner: 'オフラインです。この端末で答えられる質問には引き続きお答えします。その他は接続が戻るまでお待ちください。',
  offlineAnswer: 'オフラインのため、この質問にはお答えできません。接続が戻ってから再度お尋ねください。',
  offlineStaleNote: '（オフラインのため、似た質問への以前の回答を表示しています。）',
  staleNote: '（アシスタントに接続できないため、似た質問への以前の回答を表示しています。）',
  interrupted: '（回答が途中で中断されました。）',
  requestError: '申し訳ありません、メッセージを送信できませんでした: ',
  origin: {
    device: '端末内',
    'device-cache': '端末内（保存済みの回答）',
    edge: 'エッジ',
    'edge-cache': 'エッジキャッシュ',
    assistant: 'アシスタント',
    handoff: '担当者へ',
    offline: 'オフライン',
  },
  diagnostics: '診断情報',
};

const TABLES: Record<string, Strings> = { en, ja };

/** The pack's words that name the business, by language (domain.json `widget.strings`). */
export type PackWords = Record<string, Partial<Pick<Strings, 'heading' | 'open' | 'close' | 'placeholder' | 'welcome'>>>;

/** Strings for a BCP 47 locale: its language if the widget has it, else English; the pack's words for that language over them. */
export function stringsFor(locale: string, pack: PackWords = {}): Strings {
  const lang = locale.toLowerCase().split('-')[0];
  const table = TABLES[lang] ?? en;
  return { ...table, ...(pack[TABLES[lang] ? lang : 'en'] ?? {}) };
}

/** "8 ms", "1.2 s" in the locale's number format. */
export function formatDuration(ms: number, locale: string): string {
  try {
    if (ms < 1000) return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(Math.max(0, ms))} ms`;
    return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
  } catch {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
  }
}
