/**
 * Build-time compression of the widget's static files: a `.br` (brotli, quality 11, 16 MB
 * window) and a `.gz` (gzip -9) beside each file, for servers that pick one by the request's
 * Accept-Encoding (browser/server.ts does, through @hono/node-server's serveStatic). Brotli at
 * quality 11 takes ~30 s for onnxruntime's 14 MB wasm, so results are kept in a cache folder
 * keyed by the input's sha256 and the settings; a file is compressed once per content, on the
 * libuv thread pool, several at a time. Refuses nothing: a file that does not shrink by at least
 * 2% gets no sibling (the server then sends it as is).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

export interface Compressed {
  bytes: number;
  br?: number;
  gzip?: number;
}

const CODECS = {
  br: { ext: '.br', key: 'br-q11-w24', run: (b: Buffer) => brotli(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: b.length } }) },
  gzip: { ext: '.gz', key: 'gz-9', run: (b: Buffer) => gz(b, { level: 9 }) },
} as const;

/** Writes `<file>.br` and `<file>.gz` (when they help); returns the sizes. */
export async function precompress(file: string, cacheDir: string): Promise<Compressed> {
  const body = readFileSync(file);
  const sha = createHash('sha256').update(body).digest('hex');
  const out: Compressed = { bytes: body.length };
  for (const [name, codec] of Object.entries(CODECS) as [keyof typeof CODECS, (typeof CODECS)[keyof typeof CODECS]][]) {
    const cached = join(cacheDir, `${sha}.${codec.key}`);
    let packed: Buffer;
    if (existsSync(cached)) packed = readFileSync(cached);
    else {
      packed = await codec.run(body);
      mkdirSync(cacheDir, { recursive: true });
      // Written then renamed: a build running beside this one never reads half a file.
      const tmp = `${cached}.${process.pid}.tmp`;
      writeFileSync(tmp, packed);
      renameSync(tmp, cached);
    }
    if (packed.length > body.length * 0.98) continue;
    // Also written then renamed: a server already running sends either no sibling or a whole one.
    const tmp = `${file}${codec.ext}.${process.pid}.tmp`;
    writeFileSync(tmp, packed);
    renameSync(tmp, file + codec.ext);
    out[name] = packed.length;
  }
  return out;
}
