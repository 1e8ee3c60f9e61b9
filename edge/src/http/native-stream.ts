/**
 * Hands a streamed answer's bytes to workerd through its native byte stream
 * (`IdentityTransformStream`) instead of as a JavaScript ReadableStream: workerd then sends what
 * the Worker wrote from its own side of the stream, without reading each chunk back out of the
 * isolate. The bytes, their order and their pace are the source's; backpressure still pulls the
 * source one write at a time. A client that goes away cancels the native stream, which fails the
 * pipe and cancels the source (so the chat pipeline stops and the region call is aborted, as
 * before). Outside workerd (no IdentityTransformStream) the source is returned as it is.
 */
type Identity = new () => { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };

export function sentNatively(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const Native = (globalThis as { IdentityTransformStream?: Identity }).IdentityTransformStream;
  if (!Native) return source;
  const { readable, writable } = new Native();
  // A failed pipe has already cancelled the source (the client left) or errored the response.
  source.pipeTo(writable).catch(() => {});
  return readable;
}
