/** readJsonBody (shared/api/errors.ts): a body in one chunk or many reads the same; limits and empty bodies still refuse. */
import { describe, expect, it } from 'vitest';
import { readJsonBody } from '../shared/api/errors.ts';

const request = (chunks: Uint8Array[]) =>
  new Request('http://x/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new ReadableStream({ start: (c) => (chunks.forEach((x) => c.enqueue(x)), c.close()) }),
    duplex: 'half',
  } as RequestInit);

describe('readJsonBody', () => {
  const bytes = new TextEncoder().encode(JSON.stringify({ message: 'Tōkyō 📚 shipping?' }));

  it('reads a body of one chunk and the same body split anywhere, a character across the split included', async () => {
    expect(await readJsonBody(request([bytes]), 1000)).toEqual({ message: 'Tōkyō 📚 shipping?' });
    for (const at of [1, 14, 15, 16, 22, 23, bytes.length - 1]) {
      expect(await readJsonBody(request([bytes.slice(0, at), bytes.slice(at)]), 1000)).toEqual({ message: 'Tōkyō 📚 shipping?' });
    }
    expect(await readJsonBody(request([bytes.slice(0, 5), bytes.slice(5, 20), bytes.slice(20)]), 1000)).toEqual({ message: 'Tōkyō 📚 shipping?' });
  });

  it('still refuses an empty body and one over the limit', async () => {
    await expect(readJsonBody(request([]), 1000)).rejects.toMatchObject({ code: 'INVALID_JSON' });
    await expect(readJsonBody(request([new TextEncoder().encode('  ')]), 1000)).rejects.toMatchObject({ code: 'INVALID_JSON' });
    await expect(readJsonBody(request([bytes, bytes]), bytes.length + 5)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});
