/**
 * The widget's styles, inside its shadow root: nothing leaks into the page and the page's CSS
 * does not reach in, except through the documented custom properties (--switchyard-accent,
 * --switchyard-font, --switchyard-radius, --switchyard-z) which inherit through the shadow
 * boundary by design.
 */
export const STYLES = `
:host {
  all: initial;
  display: block;
  --sy-accent: var(--switchyard-accent, #c2410c);
  --sy-accent-text: var(--switchyard-accent-text, #ffffff);
  --sy-font: var(--switchyard-font, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --sy-radius: var(--switchyard-radius, 14px);
  --sy-bg: #ffffff;
  --sy-fg: #1c1917;
  --sy-muted: #57534e;
  --sy-line: #e7e5e4;
  --sy-user: #fff7ed;
  --sy-bot: #f5f5f4;
  --sy-focus: #2563eb;
  position: fixed;
  right: 1rem;
  bottom: 1rem;
  z-index: var(--switchyard-z, 2147483000);
  font-family: var(--sy-font);
  font-size: 15px;
  line-height: 1.45;
  color: var(--sy-fg);
}
:host([inline]) { position: static; display: block; }
:host([hidden]) { display: none; }
:host([theme="dark"]) {
  --sy-bg: #1c1917; --sy-fg: #f5f5f4; --sy-muted: #a8a29e; --sy-line: #44403c;
  --sy-user: #431407; --sy-bot: #292524; --sy-focus: #93c5fd;
}
@media (prefers-color-scheme: dark) {
  :host(:not([theme="light"])) {
    --sy-bg: #1c1917; --sy-fg: #f5f5f4; --sy-muted: #a8a29e; --sy-line: #44403c;
    --sy-user: #431407; --sy-bot: #292524; --sy-focus: #93c5fd;
  }
}
*, *::before, *::after { box-sizing: border-box; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
button { font: inherit; cursor: pointer; }
:focus-visible { outline: 3px solid var(--sy-focus); outline-offset: 2px; }
.launcher {
  display: inline-flex; align-items: center; gap: .5rem; border: 0; border-radius: 999px;
  padding: .75rem 1.1rem; background: var(--sy-accent); color: var(--sy-accent-text);
  box-shadow: 0 6px 20px rgb(0 0 0 / .22); font-weight: 600;
}
.launcher svg { width: 1.25rem; height: 1.25rem; }
:host([inline]) .launcher, :host([open]) .launcher { display: none; }
.panel {
  display: flex; flex-direction: column; width: min(390px, calc(100vw - 2rem));
  height: min(600px, calc(100vh - 2rem)); background: var(--sy-bg); color: var(--sy-fg);
  border: 1px solid var(--sy-line); border-radius: var(--sy-radius);
  box-shadow: 0 12px 40px rgb(0 0 0 / .25); overflow: hidden;
}
.panel[hidden] { display: none; }
:host([inline]) .panel { width: 100%; height: 100%; min-height: 420px; box-shadow: none; }
header {
  display: flex; align-items: center; justify-content: space-between; gap: .5rem;
  padding: .75rem 1rem; background: var(--sy-accent); color: var(--sy-accent-text);
}
header h2 { margin: 0; font-size: 1rem; font-weight: 650; }
.close { border: 0; background: transparent; color: inherit; font-size: 1.4rem; line-height: 1; padding: .1rem .4rem; border-radius: 6px; }
:host([inline]) .close { display: none; }
.banner { margin: 0; padding: .5rem 1rem; background: #fef3c7; color: #78350f; font-size: .85rem; border-bottom: 1px solid var(--sy-line); }
.banner[hidden] { display: none; }
.log { flex: 1; margin: 0; padding: 1rem; list-style: none; overflow-y: auto; display: flex; flex-direction: column; gap: .75rem; }
.msg { max-width: 88%; }
.msg.user { align-self: flex-end; }
.bubble { padding: .55rem .8rem; border-radius: var(--sy-radius); white-space: pre-wrap; overflow-wrap: anywhere; }
.user .bubble { background: var(--sy-user); border-bottom-right-radius: 4px; }
.bot .bubble { background: var(--sy-bot); border-bottom-left-radius: 4px; }
.bot[aria-busy="true"] .bubble:empty::after { content: "…"; color: var(--sy-muted); }
.meta { margin: .2rem .3rem 0; font-size: .72rem; color: var(--sy-muted); }
.composer { display: flex; gap: .5rem; padding: .75rem; border-top: 1px solid var(--sy-line); }
.composer input {
  flex: 1; min-width: 0; font: inherit; color: var(--sy-fg); background: var(--sy-bg);
  border: 1px solid var(--sy-line); border-radius: 999px; padding: .55rem .9rem;
}
.composer button {
  border: 0; border-radius: 999px; padding: .55rem 1rem; background: var(--sy-accent);
  color: var(--sy-accent-text); font-weight: 600;
}
.composer button:disabled { opacity: .55; cursor: default; }
.debug { border-top: 1px dashed var(--sy-line); padding: .5rem 1rem; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--sy-muted); max-height: 34%; overflow: auto; }
.debug[hidden] { display: none; }
.debug h3 { margin: 0 0 .25rem; font-size: 12px; }
.debug dl { display: grid; grid-template-columns: auto 1fr; gap: 0 .75rem; margin: 0; }
.debug dt { font-weight: 600; }
.debug dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 480px) {
  :host(:not([inline])[open]) { inset: 0; }
  :host(:not([inline])) .panel { width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; border: 0; }
}
@media (prefers-reduced-motion: no-preference) {
  .launcher { transition: transform .15s ease; }
  .launcher:hover { transform: translateY(-2px); }
}
`;
