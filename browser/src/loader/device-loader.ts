/**
 * When the widget loads its on-device models, and whether it does: nothing is fetched until the
 * visitor shows interest (hovers, focuses or touches the widget, or it is opened, or a question is
 * sent, or a page script calls `whenReady()`), or, with `preload="idle"`, once the page has
 * finished loading and the browser is idle. At that moment the network policy decides (Save-Data
 * and slow connections stay edge-only) and only then is the device code imported — a separate
 * chunk with onnxruntime-web — so a page view without interest costs the bundle's few KB.
 * Refuses to load twice: the first trigger wins and is reported in the diagnostics.
 */
import type { Device } from '../device-context.ts';
import type { BackendPreference } from '../runtime/ort-backend.ts';
import { networkVerdict } from './network-policy.ts';

export type LoadTrigger = 'open' | 'hover' | 'focus' | 'touch' | 'send' | 'idle' | 'api';
export type PreloadMode = 'interest' | 'idle';

export interface DeviceLoadOptions {
  baseUrl: URL;
  prefer: BackendPreference;
  budgetMs: number;
  /** on-device="off": the edge answers everything. */
  disabled: boolean;
}

/** The browser's idle callback, else a short timeout (Safari has no requestIdleCallback). */
function whenIdle(run: () => void, timeoutMs: number): () => void {
  const w = globalThis as unknown as { requestIdleCallback?: (cb: () => void, o: { timeout: number }) => number; cancelIdleCallback?: (id: number) => void };
  if (w.requestIdleCallback && w.cancelIdleCallback) {
    const id = w.requestIdleCallback(run, { timeout: timeoutMs });
    return () => w.cancelIdleCallback!(id);
  }
  const id = setTimeout(run, 200);
  return () => clearTimeout(id);
}

/** After the page's load event (now, if it already fired). */
function afterLoad(run: () => void): () => void {
  if (document.readyState === 'complete') {
    run();
    return () => undefined;
  }
  addEventListener('load', run, { once: true });
  return () => removeEventListener('load', run);
}

export class DeviceLoader {
  device: Device | null = null;
  trigger: LoadTrigger | null = null;
  private promise: Promise<Device> | null = null;
  private unwatch: (() => void)[] = [];

  constructor(
    private readonly options: () => DeviceLoadOptions,
    private readonly onSettled: (d: Device) => void,
  ) {}

  get started(): boolean {
    return this.promise !== null;
  }

  /** Starts loading (once); resolves with the device, ready or edge-only. */
  start(trigger: LoadTrigger): Promise<Device> {
    if (this.promise) return this.promise;
    this.trigger = trigger;
    this.stopWatching();
    const opts = this.options();
    const t0 = performance.now();
    const verdict = networkVerdict();
    let p: Promise<Device>;
    if (opts.disabled) p = Promise.resolve({ state: { status: 'edge-only', code: 'DISABLED', reason: 'on-device="off"' }, ctx: null, readyMs: 0 });
    else if (!verdict.allowed) p = Promise.resolve({ state: { status: 'edge-only', code: verdict.code, reason: verdict.reason }, ctx: null, readyMs: 0 });
    else {
      p = import('../device-context.ts').then(
        (m) => m.loadDevice({ baseUrl: opts.baseUrl, prefer: opts.prefer, budgetMs: opts.budgetMs }),
        (e: Error): Device => ({ state: { status: 'edge-only', code: 'MODEL_LOAD_FAILED', reason: `device code failed to load: ${e.message}` }, ctx: null, readyMs: performance.now() - t0 }),
      );
    }
    this.promise = p.then((d) => {
      this.device = d;
      this.onSettled(d);
      return d;
    });
    return this.promise;
  }

  /** Listens for the visitor's interest on `host` (and for the idle page with preload="idle"). */
  watch(host: HTMLElement, preload: PreloadMode): void {
    if (this.promise || this.unwatch.length) return;
    const on = (type: string, trigger: LoadTrigger) => {
      const f = () => void this.start(trigger);
      host.addEventListener(type, f, { passive: true });
      this.unwatch.push(() => host.removeEventListener(type, f));
    };
    on('pointerenter', 'hover');
    on('focusin', 'focus');
    on('touchstart', 'touch');
    if (preload === 'idle') this.unwatch.push(afterLoad(() => this.unwatch.push(whenIdle(() => void this.start('idle'), 5000))));
  }

  stopWatching(): void {
    for (const f of this.unwatch.splice(0)) f();
  }
}
