/**
 * The pure part of the edge's CPU report (scripts/edge-cpu/report.ts): reads `perf script` output
 * into samples (JIT frames of the Worker's bundle named by its source map), and says of a sample's
 * stack what kind of code it ends in, which concern of the edge it belongs to, and where that work
 * runs once deployed (the Worker, or a Durable Object's host). Bench only.
 */

export interface Sample {
  /** The thread's name: `workerd` (the isolate's thread) or V8's worker threads. */
  thread: string;
  /** CPU time the sample stands for (perf's period, ns). */
  ns: number;
  /** Frame names, outermost first. */
  stack: string[];
}

/** Maps a bundle position (1-based line, 0-based column) to its source file and line. */
export type PositionOf = (line: number, column: number) => { source: string | null; line: number | null } | null;

/** Names frames: a bundle frame (`JS:*fn index.js:L:C` from V8's perf map) as `js fn <source>:<line>`, any other without its offset. */
export function frameNamer(positionOf: PositionOf | null): (sym: string) => string {
  const names = new Map<string, string>();
  return (sym) => {
    const m = /^JS:[~*^+]?(.*?) index\.js:(\d+):(\d+)/.exec(sym);
    if (!m) return sym.replace(/\+0x[0-9a-f]+$/, '');
    const key = `${m[1]}|${m[2]}|${m[3]}`;
    let n = names.get(key);
    if (!n) {
      const p = positionOf?.(Number(m[2]), Number(m[3]) - 1);
      n = `js ${m[1] || '(anonymous)'} ${p?.source?.replace(/^.*?\b(edge|shared|node_modules)\//, '$1/') ?? 'index.js'}:${p?.line ?? m[2]}`;
      names.set(key, n);
    }
    return n;
  };
}

/** `perf script -F comm,tid,period,ip,sym` output as samples. */
export function parsePerfScript(text: string, name: (sym: string) => string): Sample[] {
  const samples: Sample[] = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l.trim());
    if (!lines.length) continue;
    const head = /^(.*?)\s+(\d+)\s+(\d+)\s*$/.exec(lines[0].trim());
    if (!head) continue;
    const frames = lines.slice(1).map((l) => l.trim().replace(/^[0-9a-f]+\s+/, '').replace(/\s+\(.*\)$/, ''));
    samples.push({ thread: head[1], ns: Number(head[3]), stack: frames.map(name).reverse() });
  }
  return samples;
}

/** The kind of code a leaf frame is. */
export const kindOf = (leaf: string, stack: string[]): string => {
  if (/^js .*wasm-function|^JS:wasm-function|WasmLiftoff|wasm/i.test(leaf)) return 'wasm (onnxruntime)';
  if (stack.some((s) => /Heap::|Scavenger|MarkCompact|MarkingVisitor|ConcurrentMarking|Sweeper|GCTracer|MinorMarkSweep|CppHeap|cppgc/.test(s))) return 'GC';
  if (stack.some((s) => /v8::internal::(compiler::|maglev::|Maglev|Compiler::|BaselineBatchCompiler|Parser|parsing::|Scanner|RegExpImpl::Compile|RegExpCompiler|CodeGenerator)/.test(s))) return 'compile (JS, regexp)';
  if (leaf.startsWith('js ')) return 'JavaScript';
  if (/^Builtins_|^v8::|^JS:/.test(leaf)) return 'V8 builtins and runtime';
  if (/sqlite3/i.test(leaf)) return 'SQLite';
  if (/tcmalloc|TCMalloc|malloc|free/.test(leaf)) return 'malloc';
  if (/^kj::|^capnp::|^workerd::/.test(leaf)) return 'workerd / kj / capnp';
  if (/^[a-z_0-9]+$/.test(leaf) && stack.some((s) => /entry_SYSCALL|do_syscall/.test(s))) return 'kernel (syscalls)';
  if (/^[a-z_0-9.]+$/.test(leaf)) return 'kernel / libc';
  return 'other native';
};

/** Concerns by the product's JavaScript on the stack (the innermost that names one); then by what the native stack says. */
const JS_CONCERNS: [string, RegExp][] = [
  ['session object, Durable Object side (SessionStore/SessionLog)', /^js .* edge\/src\/session\/(session-object|session-log)\.ts/],
  ['D1 object (the bench\'s D1 stand-in)', /^js .*(query|D1Object).* (d1-object|index)\.js|d1-object/],
  ['model refresh / warm-up', /^js .* edge\/src\/(runtime\/model-refresh|chat\/warm-up)\.ts/],
  ['cache write (SemanticCache.store, D1 put)', /^js (store|put|ensureMigrated|encodeInt8) (shared\/cache\/semantic-cache|edge\/src\/cache\/d1-storage|edge\/src\/cache\/migrate)\.ts/],
  ['session client (stub calls, unacknowledged writes)', /^js .* edge\/src\/session\/(session-client|unacknowledged-writes)\.ts/],
  ['metrics (observe, render)', /^js .* edge\/src\/http\/metrics\.ts/],
  ['request log line', /^js .* (edge\/src\/http\/request-log|shared\/api\/request-log)\.ts/],
  ['LLM relay (region fetch, SSE parse)', /^js .* (edge\/src\/chat\/(upstream|region-failover)|shared\/api\/(sse-client|sse|deadline))\.ts/],
  ['models (classify, embed: tokenizer, onnxruntime)', /^js .* (shared\/models\/|shared\/tokenizer\/|node_modules\/onnxruntime-web)/],
  ['conversation (resolve, cues, entities)', /^js .* shared\/conversation\//],
  ['cache lookup, key frame', /^js .* shared\/cache\//],
  ['routing, templates', /^js .* shared\/(routing|answers)\//],
  ['response (SSE / JSON body)', /^js .* shared\/api\/event-response\.ts/],
  ['request (body, zod, limits, origins)', /^js .* (shared\/api\/errors|edge\/src\/http\/(client-limits|origins)|node_modules\/zod)/],
  ['chat pipeline (its own code)', /^js .* edge\/src\/chat\/(pipeline|run-chat)\.ts/],
  ['app, hono', /^js .* (edge\/src\/app\.ts|node_modules\/hono)/],
];
const NATIVE_CONCERNS: [string, RegExp][] = [
  ['GC (no JS on the stack)', /Heap::|Scavenger|MarkCompact|ConcurrentMarking|Sweeper|MinorMarkSweep|cppgc/],
  ['compile (no JS on the stack)', /v8::internal::(compiler::|maglev::|Compiler::)/],
  ['Durable Object storage (native: ActorSqlite, SQLite)', /ActorSqlite|ActorCache|SqliteDatabase|sqlite3|SqliteKv|DurableObjectStorage/],
  ['actor RPC / jsrpc (native)', /JsRpc|jsrpc|WorkerEntrypoint|Actor::|ActorChannel|capnp::/],
  ['HTTP in and out (native: kj HTTP, fetch, streams)', /kj::.*Http|HttpService|api::(Request|Response|Fetch|ReadableStream|WritableStream|TextDecoder|TextEncoder)|fetchImpl|HttpClient|AsyncStreamFd|AsyncIoStream/],
  ['timers (native)', /TimerImpl|setTimeout|Timer/],
  ['event loop and I/O waits (native: epoll, kj turns)', /epoll|EventLoop::|UnixEventPort|waitImpl/],
];
/** The innermost JavaScript frame that names a concern takes the sample (a library's frames count for the product code that called them). */
export const concernOf = (stack: string[]): string => {
  for (let i = stack.length - 1; i >= 0; i--) for (const [name, re] of JS_CONCERNS) if (re.test(stack[i])) return name;
  const anyJs = [...stack].reverse().find((s) => s.startsWith('js '));
  if (anyJs) return `other JavaScript (${anyJs.replace(/^js \S+ /, '').replace(/:\d+$/, '')})`;
  for (const [name, re] of NATIVE_CONCERNS) if (stack.some((s) => re.test(s))) return name;
  return 'other native';
};

/**
 * Where a sample's work runs once deployed: the session objects and the bench's D1 stand-in (a
 * SQLite Durable Object) run in this workerd beside the Worker, on its thread; deployed they are
 * Durable Objects on their own hosts (and D1 its own service), not the Worker's CPU.
 */
const DO_SIDE = /JsRpcTargetBase|ActorClassImpl::newActor|Worker::Actor::Actor|ActorSqlite|SqliteKv|SqliteDatabase|sqlite3|AlarmScheduler|ActorCache|^js .* edge\/src\/session\/(session-object|session-log)\.ts|d1-object\.js/;
export const homeOf = (stack: string[]): string => (stack.some((f) => DO_SIDE.test(f)) ? 'Durable Object side (session objects, the D1 stand-in): off the Worker when deployed' : 'the Worker');
