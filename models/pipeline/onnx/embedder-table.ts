/**
 * The token table of a built embedder graph, as int8 codes with one scale per row, whatever its
 * stored precision: `embeddings.q` (int8 rows) as stored, or a mixed table (`embeddings.slot`,
 * `.q8`, `.q4`: 4-bit rows) with each 4-bit code (-8..7) as an int8 code beside the same scale, so
 * the values are exact. Build time only: the classifier's `--embedder` start and the reranker read it.
 */
import { mixedCode } from '../quantize.ts';
import type { MixedTable, QuantTable } from '../types.ts';
import { decodeModel } from './proto.ts';

export function embedderTableFromOnnx(onnx: Uint8Array, source: string): QuantTable {
  const model = decodeModel(onnx);
  const find = (name: string) => model.graph!.initializer!.find((x) => x.name === name);
  const init = (name: string) => {
    const t = find(name);
    if (!t || !t.rawData) throw new Error(`${source}: initializer ${name} missing`);
    const raw = t.rawData.slice();
    return { dims: t.dims!.map(Number), buf: raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) };
  };
  const s = init('embeddings.scale');
  const scale = new Float32Array(s.buf);
  if (find('embeddings.q')) {
    const q = init('embeddings.q');
    const [rows, dim] = q.dims;
    return { rows, dim, q: new Int8Array(q.buf), scale };
  }
  const slot = init('embeddings.slot');
  const q8 = init('embeddings.q8');
  const q4 = init('embeddings.q4');
  const [n8, dim] = q8.dims;
  const rows = slot.dims[0];
  const t: MixedTable = { rows, dim, n8, n4: q4.dims[0], slot: new Int32Array(slot.buf), q8: new Int8Array(q8.buf), q4: new Uint8Array(q4.buf), scale };
  const q = new Int8Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) q[r * dim + c] = mixedCode(t, r, c);
  return { rows, dim, q, scale };
}
