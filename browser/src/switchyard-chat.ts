/**
 * `<switchyard-chat>`: the store's chat widget as one framework-free custom element.
 *
 *   <script type="module" src="https://shop.example/widget/switchyard-chat.js"></script>
 *   <switchyard-chat edge-url="https://edge.shop.example" theme="auto" locale="en"></switchyard-chat>
 *
 * Templates and repeated questions are answered on the visitor's device (classifier + embedder
 * on onnxruntime-web, WebGPU or WASM, local semantic cache in IndexedDB); everything else is
 * streamed from the edge's /v1/chat. If the models cannot load, fail their sha256 check, or the
 * device is too slow, the widget quietly sends everything to the edge.
 */
import type { DoneEvent, RouteEvent } from '../../shared/api/chat.ts';
import { MAX_MESSAGE_CHARS } from '../../shared/api/limits.ts';
import type { CacheHit } from '../../shared/cache/semantic-cache.ts';
import type { DeviceDecision } from './chat/device-answer.ts';
import { traceFrom } from '../../shared/api/trace.ts';
import { EdgeRequestError, reportDeviceTurn, streamChat } from './chat/edge-stream.ts';
import { LocalConversation } from './chat/local-conversation.ts';
import type { ContextTurn } from '../../shared/conversation/follow-up.ts';
import type { DialogueEntity } from '../../shared/conversation/dialogue-entities.ts';
import type { Device } from './device-context.ts';
import { DeviceLoader, type PreloadMode } from './loader/device-loader.ts';
import type { AnswerRecord, Diagnostics } from './diagnostics.ts';
import type { BackendPreference } from './runtime/ort-backend.ts';
import { handoffText, packWords } from './store-handoff.ts';
import { explainDevice, renderDebug } from './ui/debug-panel.ts';
import { MessageView } from './ui/message-view.ts';
import { stringsFor, type Origin, type Strings } from './ui/strings.ts';
import { STYLES } from './ui/styles.ts';

export type { AnswerRecord, Diagnostics } from './diagnostics.ts';

const MODULE_BASE = new URL('./', import.meta.url);
const DEFAULT_BUDGET_MS = 400;
/** How long a question waits for the embedder to remember the previous answer (it loads on the first cacheable question). */
const REMEMBER_WAIT_MS = 5000;

/** `p`'s value, or false once `ms` have passed without it. */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | false> {
  return Promise.race([p, new Promise<false>((r) => setTimeout(() => r(false), ms))]);
}

const ICON = `<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>`;

const TEMPLATE = `
<div class="root">
  <button class="launcher" part="launcher" type="button" aria-haspopup="dialog" aria-expanded="false" aria-controls="panel">${ICON}<span class="launcher-label"></span></button>
  <section class="panel" id="panel" part="panel" role="dialog" aria-modal="false" aria-labelledby="title" hidden>
    <header><h2 id="title"></h2><button class="close" type="button">×</button></header>
    <p class="banner" role="status" hidden></p>
    <ol class="log" role="log" aria-live="polite" aria-relevant="additions"></ol>
    <div class="sr-only announce" role="status" aria-live="polite"></div>
    <form class="composer">
      <label class="sr-only" for="input"></label>
      <input id="input" name="message" type="text" autocomplete="off" enterkeyhint="send" maxlength="${MAX_MESSAGE_CHARS}">
      <button type="submit"></button>
    </form>
    <section class="debug" aria-labelledby="debug-title" hidden><h3 id="debug-title"></h3><dl></dl></section>
  </section>
</div>`;

function originOf(route: RouteEvent): Origin {
  if (route.path === 'template') return 'edge';
  if (route.path === 'cache') return 'edge-cache';
  if (route.path === 'llm') return 'assistant';
  return 'handoff';
}

export class SwitchyardChat extends HTMLElement {
  static observedAttributes = ['edge-url', 'theme', 'locale', 'debug', 'open', 'heading', 'preload'];

  private readonly shadow: ShadowRoot;
  private els!: {
    launcher: HTMLButtonElement;
    launcherLabel: HTMLSpanElement;
    panel: HTMLElement;
    title: HTMLHeadingElement;
    close: HTMLButtonElement;
    banner: HTMLParagraphElement;
    log: HTMLOListElement;
    announce: HTMLDivElement;
    form: HTMLFormElement;
    label: HTMLLabelElement;
    input: HTMLInputElement;
    send: HTMLButtonElement;
    debug: HTMLElement;
    debugTitle: HTMLHeadingElement;
    debugList: HTMLDListElement;
  };
  private rendered = false;
  /** Loads the models on the visitor's first sign of interest (or when idle, with preload="idle"). */
  private readonly loader = new DeviceLoader(
    () => ({ baseUrl: this.assetsBase, prefer: this.backendPreference, budgetMs: this.budgetMs, disabled: this.getAttribute('on-device') === 'off' }),
    () => this.emitReady(),
  );
  private queue: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private answers: AnswerRecord[] = [];
  /** The conversation (sessionId and recent turns), kept across reloads. */
  private readonly conversation = LocalConversation.load();
  /** The report of the last on-device turn to the edge, awaited before the next edge request. */
  private reported: Promise<unknown> = Promise.resolve();
  /** An edge answer remembered once the embedder has loaded, awaited (briefly) before the next question. */
  private remembering: Promise<unknown> = Promise.resolve();
  private readonly onConnectivity = () => this.updateConnectivity();
  private abort = new AbortController();

  constructor() {
    super();
    this.shadow = this.attachShadow({ mode: 'open' });
  }

  // ---- attributes ----

  get edgeUrl(): string {
    return this.getAttribute('edge-url') || globalThis.location?.origin || '';
  }

  get locale(): string {
    return this.getAttribute('locale') || document.documentElement.lang || navigator.language || 'en';
  }

  private get strings(): Strings {
    return stringsFor(this.locale, packWords);
  }

  private get budgetMs(): number {
    const v = Number(this.getAttribute('budget-ms'));
    return Number.isFinite(v) && v > 0 ? v : DEFAULT_BUDGET_MS;
  }

  private get backendPreference(): BackendPreference {
    const v = this.getAttribute('backend');
    return v === 'webgpu' || v === 'wasm' ? v : 'auto';
  }

  private get preload(): PreloadMode {
    return this.getAttribute('preload') === 'idle' ? 'idle' : 'interest';
  }

  private get device(): Device | null {
    return this.loader.device;
  }

  private get assetsBase(): URL {
    const v = this.getAttribute('assets-url');
    return v ? new URL(v.endsWith('/') ? v : `${v}/`, location.href) : MODULE_BASE;
  }

  // ---- lifecycle ----

  connectedCallback(): void {
    if (!this.rendered) this.render();
    this.abort = new AbortController();
    addEventListener('online', this.onConnectivity);
    addEventListener('offline', this.onConnectivity);
    this.updateConnectivity();
    if (this.hasAttribute('open')) void this.loader.start('open');
    else this.loader.watch(this, this.preload);
    this.refreshDebug();
  }

  disconnectedCallback(): void {
    removeEventListener('online', this.onConnectivity);
    removeEventListener('offline', this.onConnectivity);
    this.loader.stopWatching();
    this.abort.abort();
  }

  attributeChangedCallback(name: string): void {
    if (!this.rendered) return;
    if (name === 'open') {
      this.syncOpen(true);
      if (this.hasAttribute('open')) void this.loader.start('open');
    } else if (name === 'preload') {
      if (this.isConnected) this.loader.watch(this, this.preload);
    } else if (name === 'debug') this.refreshDebug();
    else this.applyText();
  }

  // ---- public API ----

  /** What the widget knows about itself: device state, backend, model versions, timings. */
  get diagnostics(): Diagnostics {
    const d = this.device;
    const s = d?.state;
    const m = s?.status === 'ready' ? s.models : null;
    return {
      status: s?.status ?? (this.loader.started ? 'loading' : 'idle'),
      ...(this.loader.trigger ? { trigger: this.loader.trigger } : {}),
      ...(s?.status === 'edge-only' ? { code: s.code, reason: s.reason } : {}),
      ...(m
        ? {
            backend: m.backend,
            threads: m.threads,
            ...(m.adapter ? { adapter: m.adapter } : {}),
            ...(m.webgpuSkipped ? { webgpuSkipped: m.webgpuSkipped } : {}),
            models: { classifier: m.classifierVersion, embedder: m.embedderVersion },
            embedderLoaded: m.embedder !== null,
            ...(d?.embedderError ? { embedderError: d.embedderError } : {}),
            timings: m.timings,
            transfer: m.transfer,
          }
        : s?.status === 'edge-only'
          ? { ...(s.backend ? { backend: s.backend } : {}), ...(s.timings ? { timings: s.timings } : {}), ...(s.transfer ? { transfer: s.transfer } : {}) }
          : {}),
      budgetMs: this.budgetMs,
      ...(d ? { readyMs: d.readyMs } : {}),
      ...(d?.cacheStorage ? { cacheStorage: d.cacheStorage } : {}),
      online: navigator.onLine,
      edgeUrl: this.edgeUrl,
      answers: this.answers.length,
      ...(this.answers.length ? { last: this.answers[this.answers.length - 1] } : {}),
    };
  }

  /** Starts loading if nothing did yet; resolves once the device has loaded its models or decided to use the edge. */
  async whenReady(): Promise<Diagnostics> {
    await this.loader.start('api');
    return this.diagnostics;
  }

  /** Asks a question as if typed; resolves with the complete answer. */
  send(message: string): Promise<AnswerRecord> {
    const question = message.trim();
    if (!question) return Promise.reject(Object.assign(new Error('message must not be empty'), { code: 'INVALID_REQUEST' }));
    void this.loader.start('send'); // the edge answers while the device loads
    const run = this.queue.then(() => this.ask(question.slice(0, MAX_MESSAGE_CHARS)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  show(): void {
    this.toggleAttribute('open', true);
  }

  hide(): void {
    this.toggleAttribute('open', false);
  }

  // ---- rendering ----

  private render(): void {
    const style = document.createElement('style');
    style.textContent = STYLES;
    this.shadow.append(style);
    const tpl = document.createElement('template');
    tpl.innerHTML = TEMPLATE;
    this.shadow.append(tpl.content.cloneNode(true));
    const $ = <T extends Element>(sel: string) => this.shadow.querySelector(sel) as T;
    this.els = {
      launcher: $('.launcher'),
      launcherLabel: $('.launcher-label'),
      panel: $('.panel'),
      title: $('#title'),
      close: $('.close'),
      banner: $('.banner'),
      log: $('.log'),
      announce: $('.announce'),
      form: $('form'),
      label: $('label'),
      input: $('input'),
      send: $('form button'),
      debug: $('.debug'),
      debugTitle: $('#debug-title'),
      debugList: $('.debug dl'),
    };
    this.rendered = true;
    this.applyText();
    new MessageView(this.els.log, 'bot', this.strings.welcome).li.classList.add('welcome');
    this.els.launcher.addEventListener('click', () => this.show());
    this.els.close.addEventListener('click', () => this.hide());
    this.els.panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.hasAttribute('inline')) {
        e.stopPropagation();
        this.hide();
      }
    });
    this.els.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.els.input.value;
      if (!text.trim() || this.busy) return;
      this.els.input.value = '';
      void this.send(text).catch(() => undefined);
    });
    this.syncOpen(false);
  }

  private applyText(): void {
    const s = this.strings;
    const root = this.shadow.querySelector('.root') as HTMLElement;
    root.lang = this.locale;
    const heading = this.getAttribute('heading') || s.heading;
    this.els.title.textContent = heading;
    this.els.launcherLabel.textContent = heading;
    this.els.launcher.title = s.open;
    this.els.close.setAttribute('aria-label', s.close);
    this.els.log.setAttribute('aria-label', s.conversation);
    this.els.label.textContent = s.inputLabel;
    this.els.input.placeholder = s.placeholder;
    this.els.send.textContent = s.send;
    this.els.debugTitle.textContent = s.diagnostics;
    this.updateConnectivity();
  }

  /** Shows or hides the panel; when the visitor toggled it, focus follows (input, or back to the launcher). */
  private syncOpen(moveFocus: boolean): void {
    const inline = this.hasAttribute('inline');
    const open = this.hasAttribute('open') || inline;
    this.els.panel.hidden = !open;
    this.els.launcher.setAttribute('aria-expanded', String(open));
    if (!moveFocus || inline) return;
    if (open) queueMicrotask(() => this.els.input.focus());
    else if (this.shadow.activeElement) queueMicrotask(() => this.els.launcher.focus());
  }

  private updateConnectivity(): void {
    if (!this.rendered) return;
    const offline = navigator.onLine === false;
    this.els.banner.hidden = !offline;
    this.els.banner.textContent = offline ? this.strings.offlineBanner : '';
    this.refreshDebug();
  }

  private refreshDebug(): void {
    if (!this.rendered) return;
    const on = this.hasAttribute('debug');
    this.els.debug.hidden = !on;
    if (on) renderDebug(this.els.debugList, this.diagnostics);
  }

  private emitReady(): void {
    this.refreshDebug();
    this.dispatchEvent(new CustomEvent('switchyard:ready', { detail: this.diagnostics, bubbles: true, composed: true }));
  }

  private setBusy(delta: number): void {
    this.busy += delta;
    this.els.send.disabled = this.busy > 0;
  }

  // ---- answering ----

  private async ask(question: string): Promise<AnswerRecord> {
    this.setBusy(1);
    new MessageView(this.els.log, 'user', question);
    const view = new MessageView(this.els.log, 'bot');
    view.busy(true);
    const t0 = performance.now();
    let record: AnswerRecord;
    try {
      record = await this.answer(question, view, t0);
    } catch (e) {
      view.setText(this.strings.requestError + (e as Error).message);
      record = { question, text: view.content, origin: 'handoff', path: 'error', ms: performance.now() - t0 };
    } finally {
      this.setBusy(-1);
    }
    view.finish(record.origin, record.ms, this.strings, this.locale);
    this.answers.push(record);
    this.refreshDebug();
    this.dispatchEvent(new CustomEvent('switchyard:answer', { detail: record, bubbles: true, composed: true }));
    return record;
  }

  private async answer(question: string, view: MessageView, t0: number): Promise<AnswerRecord> {
    await settledWithin(this.remembering, REMEMBER_WAIT_MS);
    const device = this.device;
    const ctx = device?.ctx ?? null;
    const context = this.conversation.context;
    let decision: DeviceDecision | null = null;
    const decide = async () => {
      if (!ctx || !device?.answering) return null;
      try {
        return await device.answering.decideOnDevice(question, ctx, context);
      } catch (e) {
        console.warn('switchyard: on-device inference failed; asking the edge:', (e as Error).message);
        return null;
      }
    };
    decision = await decide();
    // A cacheable question while the embedder is already loading (a returning device starts it at
    // once, from the HTTP cache): wait for it briefly, then decide again with the local cache.
    if (device?.embedderStarted?.() && ctx && !ctx.cache && decision?.kind === 'edge' && decision.path === 'cache') {
      const ready = await settledWithin(device.loadEmbedder!(), REMEMBER_WAIT_MS);
      if (ready && ctx.cache) decision = await decide();
    }
    // The first question that needs the cache loads the embedder; the edge answers it meanwhile.
    const keyLater = device !== null && ctx !== null && decision?.kind === 'edge' && decision.path === 'cache' && !ctx.models.embedder;
    if (keyLater) void device.loadEmbedder?.();
    const base = (origin: Origin, path: string): AnswerRecord => ({
      question,
      text: view.content,
      origin,
      path,
      ...(decision
        ? {
            intent: decision.prediction.intent,
            confidence: decision.prediction.confidence,
            device: decision.timings,
            decision: explainDevice(decision, ctx!),
            resolved: { text: decision.resolution.text, carried: decision.carried },
          }
        : {}),
      ms: performance.now() - t0,
    });
    if (decision?.kind === 'template' || decision?.kind === 'cache') {
      view.setText(decision.kind === 'template' ? decision.text : decision.hit.answer.answer);
      this.remember(question, decision.resolution, decision.prediction.intent);
      // The edge's view of the session must include what the device answered.
      this.reported = reportDeviceTurn(this.edgeUrl, this.conversation.sessionId, {
        message: question,
        answer: view.content,
        intent: decision.prediction.intent,
        path: decision.kind,
      });
      return base(decision.kind === 'template' ? 'device' : 'device-cache', decision.kind);
    }
    if (isOffline()) return this.withoutEdge(decision, view, true, base);

    // A new trace per message, so the edge and region log under the widget's trace id.
    const trace = traceFrom(null);
    let route: RouteEvent | null = null;
    let done: DoneEvent | null = null;
    let streamError: string | undefined;
    let firstTextMs: number | undefined;
    this.els.announce.textContent = this.strings.thinking;
    await Promise.race([this.reported, new Promise((r) => setTimeout(r, 500))]);
    try {
      const events = streamChat(
        { message: question, sessionId: this.conversation.sessionId, ...(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$/.test(this.locale) ? { locale: this.locale } : {}) },
        { edgeUrl: this.edgeUrl, traceparent: trace.upstream, signal: this.abort.signal },
      );
      for await (const ev of events) {
        if (ev.event === 'route') {
          route = ev.data;
          view.setOrigin(originOf(route));
        } else if (ev.event === 'delta') {
          firstTextMs ??= performance.now() - t0;
          view.append(ev.data.text);
        } else if (ev.event === 'error') {
          streamError = ev.data.code;
        } else if (ev.event === 'done') {
          done = ev.data;
        }
      }
    } catch (e) {
      this.els.announce.textContent = '';
      if (e instanceof EdgeRequestError) {
        view.setText(this.strings.requestError + e.message);
        return { ...base('handoff', 'error'), edge: { traceId: trace.traceId, error: e.code } };
      }
      if (!view.content) return this.withoutEdge(decision, view, isOffline(), base, (e as Error & { code?: string }).code);
      streamError ??= 'EDGE_INTERRUPTED';
    }
    this.els.announce.textContent = this.strings.answered;
    if (!route && !view.content) return this.withoutEdge(decision, view, false, base, 'EDGE_EMPTY_STREAM');
    if (streamError || !done) view.append(`${view.content ? ' ' : ''}${this.strings.interrupted}`);
    const record: AnswerRecord = {
      ...base(route ? originOf(route) : 'assistant', route?.path ?? 'llm'),
      ...(route ? { intent: route.intent, confidence: route.confidence } : {}),
      ...(route?.resolved ? { resolved: { text: route.resolved.text, carried: route.resolved.carried } } : {}),
      ...(route?.decision ? { decision: route.decision } : {}),
      ...(firstTextMs !== undefined ? { firstTextMs } : {}),
      edge: {
        traceId: route?.traceId ?? trace.traceId,
        ...(done ? { latencyMs: done.latencyMs } : {}),
        ...(route?.generator ? { generator: route.generator } : {}),
        ...(streamError ? { error: streamError } : {}),
      },
    };
    if (route?.resolved) this.remember(question, { text: route.resolved.text, entities: (route.resolved.entities ?? []) as DialogueEntity[] }, route.intent);
    else if (decision) this.remember(question, decision.resolution, decision.prediction.intent);
    if (ctx && decision && route && done && !streamError) {
      const sources = (done.sources ?? []).map((s) => s.id);
      if (keyLater) this.remembering = this.rememberLater(device!, question, context, route, view.content, sources, record);
      else record.remembered = (await device?.answering?.rememberEdgeAnswer(ctx, decision, question, route, view.content, sources).catch(() => false)) ?? false;
    }
    return record;
  }

  /**
   * An edge answer to a cacheable question asked before the embedder had loaded: once it has,
   * the question is keyed as it would have been (same conversation context) and remembered.
   */
  private async rememberLater(device: Device, question: string, context: ContextTurn[], route: RouteEvent, answer: string, sources: string[], record: AnswerRecord): Promise<void> {
    try {
      if (!(await device.loadEmbedder?.()) || !device.ctx || !device.answering) return;
      const keyed = await device.answering.decideOnDevice(question, device.ctx, context);
      record.remembered = await device.answering.rememberEdgeAnswer(device.ctx, keyed, question, route, answer, sources);
    } catch {
      record.remembered = false;
    }
  }

  /** Adds a turn to the conversation the next follow-up is resolved against. */
  private remember(question: string, resolution: { text: string; entities: DialogueEntity[] }, intent?: string): void {
    this.conversation.add({ text: resolution.text || question, entities: resolution.entities, ...(intent ? { intent } : {}) });
  }

  /** The edge is out of reach: an earlier answer to a similar question, else the offline or handoff message. */
  private async withoutEdge(
    decision: DeviceDecision | null,
    view: MessageView,
    offline: boolean,
    base: (origin: Origin, path: string) => AnswerRecord,
    code?: string,
  ): Promise<AnswerRecord> {
    const ctx = this.device?.ctx ?? null;
    const stale: CacheHit | null = ctx && this.device?.answering ? await this.device.answering.staleAnswer(ctx, decision) : null;
    const s = this.strings;
    if (stale) {
      view.setText((offline ? s.offlineStaleNote : s.staleNote) + stale.answer.answer);
      return { ...base('device-cache', 'stale-cache'), ...(code ? { edge: { traceId: '', error: code } } : {}) };
    }
    view.setText(offline ? s.offlineAnswer : handoffText);
    return { ...base(offline ? 'offline' : 'handoff', offline ? 'offline' : 'fallback'), ...(code ? { edge: { traceId: '', error: code } } : {}) };
  }
}

function isOffline(): boolean {
  return navigator.onLine === false;
}

// Define the element only where custom elements exist (not in workers or server-side imports).
if (typeof customElements !== 'undefined' && !customElements.get('switchyard-chat')) {
  customElements.define('switchyard-chat', SwitchyardChat);
}

declare global {
  interface HTMLElementTagNameMap {
    'switchyard-chat': SwitchyardChat;
  }
}
