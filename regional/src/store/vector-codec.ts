/** Embeddings as SQLite BLOBs: little-endian float32, 4 bytes per dimension. */

export function encodeFloat32(vec: Float32Array): Buffer {
  const buf = Buffer.allocUnsafe(vec.length * 4);
  for (let i = 0; i < vec.length; i++) buf.writeFloatLE(vec[i], i * 4);
  return buf;
}

export function decodeFloat32(buf: Uint8Array): Float32Array {
  if (buf.byteLength % 4 !== 0) throw new Error(`embedding blob of ${buf.byteLength} bytes is not float32`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Float32Array(buf.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** A unit-length copy (the caller has already refused zero vectors). */
export function normalized(vec: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < vec.length; i++) s += vec[i] * vec[i];
  const inv = 1 / Math.sqrt(s);
  const out = new Float32Array(vec.length);
  for (let i = 0; i < vec.length; i++) out[i] = vec[i] * inv;
  return out;
}
