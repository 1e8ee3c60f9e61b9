import { describe, expect, it } from 'vitest';
import { concernOf, frameNamer, homeOf, kindOf, parsePerfScript } from '../scripts/edge-cpu/samples.ts';
import { profilingV8Flags } from '../scripts/soak/edge-workerd.ts';

// Two samples as `perf script -F comm,tid,period,ip,sym` prints them (leaf first), shortened from a real edge profile.
const SCRIPT = `workerd 14431   500250
	         4080680 v8::internal::Runtime_RegExpExec+0x116 (/work/main/node_modules/workerd/bin/workerd)
	    5627b533cfa7 JS:~push index.js:20:7+0xe7 (/tmp/perf-14431.map)
	    5627b53393a7 JS:*fetchEventStream index.js:30:33+0xe7 (/tmp/perf-14431.map)
	    5627b5322de7 JS:~answer index.js:40:23+0xe7 (/tmp/perf-14431.map)
	    5627b5322de8 JS:~ index.js:50:5+0xe7 (/tmp/perf-14431.map)
	         2cfc230 workerd::IoContext::runImpl+0x100 (/work/main/node_modules/workerd/bin/workerd)

V8 DefaultWorke 14433   500250
	         3f54923 v8::internal::compiler::LinearScanAllocator::AllocateRegisters+0x133 (/work/main/node_modules/workerd/bin/workerd)
`;
// The bundle's lines as the source map would place them.
const SOURCES: Record<number, { source: string; line: number }> = {
  20: { source: '../../shared/api/sse.ts', line: 19 },
  30: { source: '../../shared/api/sse-client.ts', line: 49 },
  40: { source: '../../edge/src/chat/pipeline.ts', line: 83 },
  50: { source: '../../shared/api/request-log.ts', line: 64 },
};
const name = frameNamer((line) => SOURCES[line] ?? null);

describe("the edge's CPU samples (scripts/edge-cpu)", () => {
  const [main, worker] = parsePerfScript(SCRIPT, name);

  it('reads each sample with its thread, its period and its stack outermost first, bundle frames named by their sources', () => {
    expect(main.thread).toBe('workerd');
    expect(main.ns).toBe(500250);
    expect(main.stack).toEqual([
      'workerd::IoContext::runImpl',
      'js (anonymous) shared/api/request-log.ts:64',
      'js answer edge/src/chat/pipeline.ts:83',
      'js fetchEventStream shared/api/sse-client.ts:49',
      'js push shared/api/sse.ts:19',
      'v8::internal::Runtime_RegExpExec',
    ]);
    expect(worker.thread).toBe('V8 DefaultWorke');
  });

  it('books a sample to the innermost frame that names a concern, not to an outer middleware', () => {
    expect(concernOf(main.stack)).toBe('LLM relay (region fetch, SSE parse)');
    expect(concernOf(main.stack.slice(0, 3))).toBe('chat pipeline (its own code)');
    expect(concernOf(main.stack.slice(0, 2))).toBe('request log line');
  });

  it('tells compilation from SQLite and JSON parsers, and runtime code from JavaScript', () => {
    expect(kindOf('v8::internal::compiler::LinearScanAllocator::AllocateRegisters', worker.stack)).toBe('compile (JS, regexp)');
    expect(kindOf('sqlite3RunParser', ['workerd::ActorSqlite::put', 'sqlite3RunParser'])).toBe('SQLite');
    expect(kindOf('v8::internal::JsonParser<unsigned char>::Parse', ['js answer edge/src/chat/pipeline.ts:83', 'v8::internal::JsonParser<unsigned char>::Parse'])).toBe('V8 builtins and runtime');
    expect(kindOf('js push shared/api/sse.ts:19', main.stack)).toBe('JavaScript');
  });

  it("counts a Durable Object's work (its calls, its storage, its creation) apart from the Worker's", () => {
    expect(homeOf(main.stack)).toBe('the Worker');
    expect(homeOf(['workerd::api::JsRpcTargetBase::callImpl', 'js record edge/src/session/session-object.ts:31'])).toMatch(/^Durable Object side/);
    expect(homeOf(['js (anonymous) edge/src/session/session-client.ts:73', 'workerd::server::Server::WorkerService::ActorClassImpl::newActor'])).toMatch(/^Durable Object side/);
    expect(homeOf(['js (anonymous) edge/src/session/session-client.ts:73', 'workerd::api::JsRpcProperty::call'])).toBe('the Worker');
  });
});

describe('EDGE_V8_FLAGS, the opt-in profiling hook of the plain-workerd edge', () => {
  it('adds nothing when unset, the flags given otherwise, and refuses what is not a flag', () => {
    expect(profilingV8Flags(undefined)).toEqual([]);
    expect(profilingV8Flags('  ')).toEqual([]);
    expect(profilingV8Flags(' --perf-basic-prof  --interpreted-frames-native-stack ')).toEqual(['--perf-basic-prof', '--interpreted-frames-native-stack']);
    expect(() => profilingV8Flags('--perf-basic-prof rm')).toThrow(/rm is not a V8 flag/);
  });
});
