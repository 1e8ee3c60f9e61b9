/**
 * The edge's in-isolate rate-limit fallback (used where the rate-limiting binding is absent) and
 * its origin allow-list, as plain functions.
 */
import { describe, expect, it } from 'vitest';
import { IsolateWindow } from '../edge/src/http/client-limits.ts';
import { originAllowed } from '../edge/src/http/origins.ts';

describe('in-isolate client window', () => {
  it('allows the limit per minute per key, then says how long to wait, and forgets after a minute', () => {
    const w = new IsolateWindow();
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(w.take('ip:a', 3, t0 + i * 1000)).toBe(0);
    expect(w.take('ip:a', 3, t0 + 10_000)).toBe(50);
    expect(w.take('ip:b', 3, t0 + 10_000)).toBe(0);
    expect(w.take('ip:a', 3, t0 + 60_001)).toBe(0);
  });

  it('drops only the hits that left the window, counting the rest', () => {
    const w = new IsolateWindow();
    const t0 = 2_000_000;
    for (const dt of [0, 30_000, 50_000]) expect(w.take('s:a', 3, t0 + dt)).toBe(0);
    // At t0 + 61 s the first hit has left: two counted, the third goes ahead…
    expect(w.take('s:a', 3, t0 + 61_000)).toBe(0);
    // …and the next waits until the hit of t0 + 30 s leaves (29 s).
    expect(w.take('s:a', 3, t0 + 61_000)).toBe(29);
    // Past every hit's minute the key starts afresh.
    expect(w.take('s:a', 1, t0 + 125_000)).toBe(0);
    expect(w.take('s:a', 1, t0 + 125_000)).toBe(60);
  });

  it('forgets the keys with no hit in the last minute', () => {
    const w = new IsolateWindow();
    for (let i = 0; i < 500; i++) w.take(`s:${i}`, 30, 1_000_000 + i * 100);
    expect(w.size).toBe(500);
    // 60 s after the 300th key's hit: keys 0..300 have left the window, 301..499 have not
    w.take('s:new', 30, 1_000_000 + 300 * 100 + 60_000);
    expect(w.size).toBe(199 + 1);
    expect(w.take('s:499', 1, 1_000_000 + 300 * 100 + 60_000)).toBeGreaterThan(0);
  });

  it('keeps at most 10,000 keys', () => {
    const w = new IsolateWindow();
    for (let i = 0; i < 10_050; i++) w.take(`s:${i}`, 1, 5);
    // the oldest keys were dropped, so they may send again; the newest are still counted
    expect(w.take('s:0', 1, 6)).toBe(0);
    expect(w.take('s:10049', 1, 6)).toBeGreaterThan(0);
  });
});

describe('origin allow-list', () => {
  it('allows listed origins and the Worker itself; "*" only on localhost', () => {
    expect(originAllowed('https://shop.example', 'https://shop.example, https://www.shop.example/', 'https://edge.example/v1/chat')).toBe(true);
    expect(originAllowed('https://www.shop.example', 'https://shop.example, https://www.shop.example/', 'https://edge.example/v1/chat')).toBe(true);
    expect(originAllowed('https://evil.example', 'https://shop.example', 'https://edge.example/v1/chat')).toBe(false);
    expect(originAllowed('https://edge.example', '', 'https://edge.example/v1/chat')).toBe(true);
    expect(originAllowed('https://evil.example', '*', 'https://edge.example/v1/chat')).toBe(false);
    expect(originAllowed('http://localhost:5173', '*', 'http://127.0.0.1:8787/v1/chat')).toBe(true);
  });
});
