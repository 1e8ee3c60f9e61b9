// Module types wrangler bundles (see the [[rules]] in wrangler.toml).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}
declare module '*.sql' {
  const text: string;
  export default text;
}
