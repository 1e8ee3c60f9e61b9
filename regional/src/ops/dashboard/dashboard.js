// The region's ops dashboard (served by regional/src/ops/dashboard-routes.ts). Plain browser
// JavaScript, no build step: it asks for an admin key (kept in sessionStorage, this tab only),
// reads GET /v1/ops/timeseries with it and draws the series with uPlot (window.uPlot), and
// GET /v1/ops/fleet for the table of every instance on the shared database with the fleet's totals.
'use strict';

(() => {
  const KEY = 'switchyard-admin-key';
  const $ = (id) => document.getElementById(id);
  const charts = {};
  let timer = null;
  let last = null;

  const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  const fmt = (digits, unit = '') => (_u, v) => (v == null ? '–' : `${Number(v).toFixed(digits)}${unit}`);
  const col = (points, f) => points.map((p) => {
    const v = f(p);
    return v == null || !Number.isFinite(v) ? null : v;
  });

  /** Each chart: its series (label, value of a point, scale) and its axes' scales. */
  const CHARTS = {
    traffic: () => ({
      series: [
        { label: 'requests/s', f: (p) => p.rps, digits: 2 },
        { label: '5xx/s', f: (p) => p.errorRps, digits: 3 },
        { label: '4xx/s', f: (p) => p.clientErrorRps, digits: 3 },
      ],
    }),
    latency: () => ({
      series: [
        { label: 'p50 (API)', f: (p) => p.p50Ms, digits: 1, unit: ' ms' },
        { label: 'p99 (API)', f: (p) => p.p99Ms, digits: 1, unit: ' ms' },
        { label: 'p50 generate', f: (p) => p.generateP50Ms, digits: 1, unit: ' ms' },
        { label: 'p99 generate', f: (p) => p.generateP99Ms, digits: 1, unit: ' ms' },
      ],
      // An interval without requests has no latency: draw the line across it.
      spanGaps: true,
    }),
    saturation: () => ({
      series: [
        { label: 'queued', f: (p) => p.queued, digits: 0 },
        { label: 'LLM in use', f: (p) => p.llmActive, digits: 0 },
        { label: 'LLM limit', f: (p) => p.llmConcurrency, digits: 0, dash: [6, 4] },
        { label: 'event loop p99', f: (p) => p.eventLoopP99Ms, digits: 1, unit: ' ms', scale: 'ms' },
        { label: 'event loop max', f: (p) => p.eventLoopMaxMs, digits: 1, unit: ' ms', scale: 'ms' },
      ],
      right: 'ms',
    }),
    'model-errors': () => ({
      series: ['classifier', 'embedder', 'reranker', 'generator'].map((role) => ({ label: role, f: (p) => p.modelErrors[role] ?? 0, digits: 0 })),
    }),
    paths: () => ({
      series: [
        ...['llm', 'cache', 'fallback'].map((path) => ({ label: path, f: (p) => p.paths[path] ?? 0, digits: 3 })),
        { label: 'without LLM', f: (p) => p.bypassRatio, digits: 2, scale: 'ratio', dash: [6, 4] },
      ],
      right: 'ratio',
    }),
    'edge-paths': () => ({
      series: [
        ...['template', 'cache', 'llm', 'fallback'].map((path) => ({ label: path, f: (p) => (p.edgePaths ? (p.edgePaths[path] ?? 0) : null), digits: 3 })),
        { label: 'without region', f: (p) => p.edgeBypassRatio, digits: 2, scale: 'ratio', dash: [6, 4] },
      ],
      right: 'ratio',
    }),
    cost: () => ({
      series: [
        { label: 'tokens in', f: (p) => p.tokensIn, digits: 0 },
        { label: 'tokens out', f: (p) => p.tokensOut, digits: 0 },
        { label: 'sessions', f: (p) => p.sessions, digits: 0 },
        { label: 'cost (USD)', f: (p) => p.costUsd, digits: 5, scale: 'usd' },
        { label: 'USD/session', f: (p) => p.costPerSessionUsd, digits: 5, scale: 'usd', dash: [6, 4] },
      ],
      right: 'usd',
    }),
    drift: () => ({
      series: [
        // A window with fewer predictions than the monitor's minimum has no meaningful PSI.
        { label: 'intent PSI', f: (p) => (p.drift.status === 'insufficient' ? null : p.drift.intent), digits: 3 },
        { label: 'confidence PSI', f: (p) => (p.drift.status === 'insufficient' ? null : p.drift.confidence), digits: 3 },
        { label: 'warn 0.1', f: () => 0.1, digits: 1, dash: [4, 4], color: '#d97706' },
        { label: 'alert 0.2', f: () => 0.2, digits: 1, dash: [4, 4], color: '#dc2626' },
      ],
      spanGaps: true,
      // Log scale: the 0.1 and 0.2 lines stay readable beside a PSI of several units.
      log: true,
    }),
  };

  function showLogin(message) {
    stop();
    $('board').hidden = true;
    $('controls').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message ?? '';
    $('key').focus();
  }

  function stop() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  async function load() {
    stop();
    const key = sessionStorage.getItem(KEY);
    if (!key) return showLogin();
    const range = Number($('range').value);
    const maxPoints = Math.max(60, Math.min(3000, Math.floor(window.innerWidth / 2)));
    let res;
    try {
      res = await fetch(`/v1/ops/timeseries?since=${Date.now() - range}&maxPoints=${maxPoints}`, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' });
    } catch (e) {
      $('status').textContent = `could not reach the region: ${e.message}`;
      timer = setTimeout(load, 5000);
      return;
    }
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem(KEY);
      const body = await res.json().catch(() => ({}));
      return showLogin(`${res.status}: ${body.error?.message ?? 'this key may not read the dashboard'}`);
    }
    if (!res.ok) {
      $('status').textContent = `the region answered ${res.status}`;
      timer = setTimeout(load, 5000);
      return;
    }
    last = await res.json();
    last.fleet = await fetch(`/v1/ops/fleet?since=${Date.now() - range}`, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null);
    $('login').hidden = true;
    $('board').hidden = false;
    $('controls').hidden = false;
    render(last);
    timer = setTimeout(load, Math.max(2000, last.sampleMs));
  }

  function render(data) {
    const points = data.points;
    const newest = points.at(-1);
    $('status').textContent = `${data.instance} · ${data.samples} samples every ${data.sampleMs / 1000} s · ${newest ? `last ${new Date(newest.t).toLocaleTimeString()}` : 'no samples yet'}`;
    tiles(points);
    fleet(data.fleet, data.instance);
    const xs = points.map((p) => p.t / 1000);
    for (const [name, def] of Object.entries(CHARTS)) draw(name, def(), xs, points);
    const edgeNote = document.querySelector('#chart-edge-paths .note');
    const edgeSeen = points.some((p) => p.edgePaths);
    edgeNote.hidden = edgeSeen;
    edgeNote.textContent = data.edge.configured ? 'No edge samples in this range (the edge was not reachable).' : "The region does not read the edge's metrics: set EDGE_METRICS_URL (npm start does).";
  }

  function draw(name, def, xs, points) {
    const section = $(`chart-${name}`);
    const el = section.querySelector('.plot');
    const data = [xs, ...def.series.map((s) => col(points, s.f))];
    section.dataset.points = String(xs.length);
    // For tests and scrapers: points drawn, and how many of them the chart's first series has.
    section.dataset.values = String(data[1].filter((v) => v != null).length);
    const width = Math.max(300, el.clientWidth || section.clientWidth - 24);
    const existing = charts[name];
    if (existing && existing.series.length === data.length) {
      existing.setData(data);
      if (existing.width !== width) existing.setSize({ width, height: 260 });
      return;
    }
    existing?.destroy();
    const scales = { x: { time: true } };
    if (def.log) scales.y = { distr: 3, range: (_u, min, max) => [Math.min(0.01, min ?? 0.01), Math.max(1, max ?? 1)] };
    if (def.right === 'ratio') scales.ratio = { range: [0, 1] };
    const axes = [{}, { scale: 'y' }];
    if (def.right) axes.push({ scale: def.right, side: 1, grid: { show: false } });
    charts[name] = new window.uPlot(
      {
        width,
        height: 260,
        scales,
        axes,
        cursor: { drag: { x: true, y: false } },
        series: [
          {},
          ...def.series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? COLORS[i % COLORS.length],
            width: 1.5,
            scale: s.scale ?? 'y',
            dash: s.dash,
            spanGaps: !!def.spanGaps,
            points: { size: 4 },
            value: fmt(s.digits, s.unit),
          })),
        ],
      },
      data,
      el,
    );
  }

  function tiles(points) {
    const sum = (f) => points.reduce((n, p) => n + (f(p) ?? 0), 0);
    const seconds = sum((p) => p.intervalS);
    const requests = sum((p) => p.rps * p.intervalS);
    const errors = sum((p) => p.errorRps * p.intervalS);
    const answers = sum((p) => Object.values(p.paths).reduce((a, b) => a + b, 0) * p.intervalS);
    const llm = sum((p) => (p.paths.llm ?? 0) * p.intervalS);
    const cost = sum((p) => p.costUsd);
    const sessions = sum((p) => p.sessions);
    const tokens = sum((p) => p.tokensIn + p.tokensOut);
    const p99 = Math.max(0, ...points.map((p) => p.p99Ms ?? 0));
    const drift = points.at(-1)?.drift;
    const list = [
      ['requests/s', seconds ? (requests / seconds).toFixed(2) : '–'],
      ['error ratio (5xx)', requests ? `${((100 * errors) / requests).toFixed(2)} %` : '–', errors / Math.max(1, requests) > 0.01],
      ['worst p99', p99 ? `${p99.toFixed(0)} ms` : '–'],
      ['answers without LLM', answers ? `${((100 * (answers - llm)) / answers).toFixed(1)} %` : '–'],
      ['tokens', tokens.toFixed(0)],
      ['cost', `$${cost.toFixed(4)}`],
      ['cost per session', sessions ? `$${(cost / sessions).toFixed(5)}` : '–'],
      ['drift', drift ? `${drift.status}${drift.intent == null ? '' : ` (${drift.intent.toFixed(3)})`}` : '–', drift && (drift.status === 'alert' || drift.status === 'warn')],
    ];
    $('tiles').replaceChildren(
      ...list.map(([label, value, bad]) => {
        const d = document.createElement('div');
        d.className = `tile${bad ? ' alert' : ''}`;
        const b = document.createElement('b');
        b.textContent = value;
        const s = document.createElement('span');
        s.textContent = label;
        d.append(b, s);
        return d;
      }),
    );
  }

  /** One row per instance (this one marked) and the fleet's totals. */
  function fleet(view, self) {
    const section = $('fleet');
    section.hidden = !view;
    if (!view) return;
    const without = (paths) => {
      const all = Object.values(paths).reduce((a, b) => a + b, 0);
      return all ? `${((100 * (all - (paths.llm ?? 0))) / all).toFixed(1)} %` : '–';
    };
    const row = (name, r, last) => {
      const tr = document.createElement('tr');
      const cells = [name, r.rps.toFixed(2), `${(100 * r.errorRatio).toFixed(2)} %`, r.p99Ms == null ? '–' : r.p99Ms.toFixed(0), without(r.paths), String(r.sessions), `$${r.costUsd.toFixed(4)}`, last];
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = c;
        tr.append(td);
      }
      return tr;
    };
    section.querySelector('tbody').replaceChildren(...view.instances.map((r) => row(r.instance === self ? `${r.instance} (this one)` : r.instance, r, new Date(r.lastSampleAt).toLocaleTimeString())));
    section.querySelector('tfoot').replaceChildren(row(`fleet: ${view.totals.instances} instance${view.totals.instances === 1 ? '' : 's'}`, view.totals, ''));
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY, key);
    $('key').value = '';
    void load();
  });
  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    for (const c of Object.values(charts)) c.destroy();
    for (const k of Object.keys(charts)) delete charts[k];
    showLogin();
  });
  $('range').addEventListener('change', () => void load());
  window.addEventListener('resize', () => last && render(last));
  window.switchyardDashboard = { charts, reload: load };
  void load();
})();
