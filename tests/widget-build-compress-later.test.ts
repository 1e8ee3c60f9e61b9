/**
 * `npm start` serves the widget page as soon as its files are in place and writes their .br/.gz
 * siblings in the background (scripts/build-widget.ts `precompress: 'later'`): a first start no
 * longer waits a minute or two for brotli at quality 11 before it prints its addresses. The
 * siblings land whole (written then renamed), so a server already sending files never sends half one.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWidget } from '../scripts/build-widget.ts';

const dir = mkdtempSync(join(tmpdir(), 'sy-widget-later-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));

describe("buildWidget({ precompress: 'later' })", () => {
  it('returns with the files in place and no sibling yet, then writes whole siblings in the background', async () => {
    const built = await buildWidget({ quiet: true, outDir: join(dir, 'dist'), precompress: 'later' });
    const wasm = built.files.find((f) => f.path.endsWith('.wasm'))!;
    expect(wasm).toBeDefined();
    expect(existsSync(join(built.outDir, 'switchyard-chat.js'))).toBe(true);
    // Nothing compressed yet when the caller gets the build: it can serve at once.
    expect(walk(built.outDir).filter((f) => /\.(br|gz)$/.test(f))).toEqual([]);
    expect(wasm.brBytes).toBeUndefined();
    expect(built.compressed).toBeInstanceOf(Promise);

    const files = await built.compressed!;
    const done = files.find((f) => f.path === wasm.path)!;
    expect(done.brBytes).toBeGreaterThan(0);
    expect(done.brBytes!).toBeLessThan(done.bytes);
    const body = readFileSync(join(built.outDir, wasm.path));
    expect(brotliDecompressSync(readFileSync(join(built.outDir, `${wasm.path}.br`))).equals(body)).toBe(true);
    expect(gunzipSync(readFileSync(join(built.outDir, `${wasm.path}.gz`))).equals(body)).toBe(true);
    // Every compressible file got its siblings; no temporary file is left behind.
    expect(files.filter((f) => f.path.endsWith('.js') && f.bytes > 1024).every((f) => f.brBytes && f.gzipBytes)).toBe(true);
    expect(walk(built.outDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 600_000);
});
