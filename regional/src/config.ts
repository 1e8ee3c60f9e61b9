/** The regional service's configuration, from environment variables (validated with zod). */
import { z } from 'zod';
import { DEFAULT_DOMAIN_DIR, domainModelDir } from './domain/pack-files.ts';

const num = (d: number) => z.coerce.number().nonnegative().default(d);
/** "input,output": USD per 1,000 tokens. */
const price = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*,\s*\d+(\.\d+)?\s*$/, 'must be "input,output" in USD per 1,000 tokens')
  .transform((s) => {
    const [i, o] = s.split(',').map(Number);
    return { in: i, out: o };
  })
  .optional();

/** List prices of the default Bedrock models (Claude 3.5 Haiku, Claude Sonnet 4), USD per 1,000 tokens. */
export const BEDROCK_DEFAULT_PRICING = { small: { in: 0.0008, out: 0.004 }, large: { in: 0.003, out: 0.015 } };

export const RegionalConfig = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8788),
  HOST: z.string().default('127.0.0.1'),
  /** postgres://… for PostgreSQL + pgvector; otherwise a SQLite file path (or :memory:). */
  DATABASE_URL: z.string().default('./data/switchyard.db'),
  EMBEDDER_MODEL: z.string().default('models/default/embedder'),
  RERANKER_MODEL: z.string().default('models/default/reranker'),
  CLASSIFIER_MODEL: z.string().default('models/default/store-intent'),
  /** local (in-process, default) | kserve (KServe v2 / Triton) | bedrock (Titan). */
  EMBEDDINGS_BACKEND: z.enum(['local', 'kserve', 'bedrock']).default('local'),
  KSERVE_URL: z.string().optional(),
  KSERVE_EMBEDDER_MODEL: z.string().default('embedder'),
  /**
   * auto (default: bedrock when AWS credentials are configured, else extractive) | extractive
   * (offline, no model) | bedrock | openai (vLLM, Ollama, any OpenAI-compatible server).
   */
  LLM_BACKEND: z.enum(['auto', 'extractive', 'bedrock', 'openai']).default('auto'),
  BEDROCK_REGIONS: z.string().default('us-east-1,us-west-2'),
  /** Another Bedrock endpoint (a VPC endpoint, or a local stand-in); `{region}` is replaced by each region's name. */
  BEDROCK_ENDPOINT: z.string().regex(/^https?:\/\//, 'must start with http:// or https://').optional(),
  BEDROCK_MODEL_SMALL: z.string().default('us.anthropic.claude-3-5-haiku-20241022-v1:0'),
  BEDROCK_MODEL_LARGE: z.string().default('us.anthropic.claude-sonnet-4-20250514-v1:0'),
  OPENAI_BASE_URL: z.string().default('http://127.0.0.1:11434'),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_MODEL_SMALL: z.string().default('qwen2.5:3b'),
  OPENAI_MODEL_LARGE: z.string().default('qwen2.5:14b'),
  /** More OpenAI-compatible servers (same models and key), comma-separated, tried in order after OPENAI_BASE_URL. */
  OPENAI_FAILOVER_URLS: z.string().default(''),
  /**
   * How these servers continue an answer another one began (mid-stream failover):
   * continue_final_message (vLLM) or instruction (any server; the default).
   */
  OPENAI_CONTINUATION: z.enum(['continue_final_message', 'instruction']).default('instruction'),
  LLM_CONCURRENCY: z.coerce.number().int().min(1).default(16),
  /**
   * What the small / large model costs, "input,output" USD per 1,000 tokens, for the usage cost
   * estimate. Default: the list prices of the default Bedrock models with LLM_BACKEND=bedrock,
   * none (no estimate) otherwise.
   */
  LLM_PRICE_SMALL: price,
  LLM_PRICE_LARGE: price,
  BATCH_MAX_SIZE: z.coerce.number().int().min(1).max(1024).default(32),
  BATCH_MAX_DELAY_MS: num(5),
  /** true: an idle model starts at once on what is queued; false: always wait up to BATCH_MAX_DELAY_MS. */
  BATCH_EAGER: z.enum(['true', 'false']).default('true'),
  CLASSIFY_TIMEOUT_MS: num(200),
  EMBED_TIMEOUT_MS: num(300),
  RETRIEVE_TIMEOUT_MS: num(600),
  RERANK_TIMEOUT_MS: num(300),
  /**
   * true: a FAQ or policy passage the reranker is sure of (calibrated relevance at or above
   * DECISIVE_MIN_RELEVANCE) is answered by the offline generator's quote of it, with no LLM call
   * (generate/stages/decisive.ts). Off by default, as cache warming is (existing deployments and
   * tests see every answer generated); bench:traffic turns it on. Never with LLM_BACKEND=extractive
   * (every answer is already the offline generator's). 0.7: the lowest threshold with no wrong
   * answer on the golden answer set (scripts/eval/decisive-threshold.ts, docs/traffic.md).
   */
  DECISIVE_ANSWERS: z.enum(['true', 'false']).default('false'),
  DECISIVE_MIN_RELEVANCE: z.coerce.number().min(0).max(1).default(0.7),
  /**
   * The store's order system, for intents of the pack's `order` route (docs/orders.md): GET this URL
   * with the order id in place of `{id}` (or appended as a path segment), JSON in the shape of
   * shared/orders/order-record.ts, 404 for an unknown id. Unset: the pack's demo orders
   * (demo/orders.json) answer, when it has them; else order messages are generated as before.
   */
  ORDER_LOOKUP_URL: z.string().regex(/^https?:\/\//, 'must start with http:// or https://').optional(),
  /** Sent as `Authorization: Bearer …` to the order system; the region's secret, never the edge's. */
  ORDER_LOOKUP_KEY: z.string().min(1).optional(),
  /** Budget of one order lookup; past it the answer is generated as before (`order_lookup_unavailable`). */
  ORDER_LOOKUP_TIMEOUT_MS: z.coerce.number().int().min(1).default(1500),
  /**
   * Who may see an order's details (docs/orders.md): `email` (default), whoever gives the id and
   * the email it was placed with, as the store's Order Lookup page asks; `none`, anyone who gives
   * the id (only for a site whose shoppers are signed in before they reach the chat).
   */
  ORDER_VERIFY: z.enum(['email', 'none']).default('email'),
  /**
   * ORDER_VERIFY=email: emails a session may give for one order before it is refused (`tooManyAttempts`,
   * fallback `order_attempts_exceeded`) until SESSION_IDLE_MS passes without another (docs/orders.md).
   */
  ORDER_VERIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /**
   * What the LLM is told of a shopper's emails, phone and card numbers (docs/conversations.md):
   * `redact` (default) replaces them in the message and its history as logs and stored turns do
   * (the LLM needs none of them to answer, and a hosted LLM is a third party); `keep` sends them
   * as typed.
   */
  LLM_PII: z.enum(['redact', 'keep']).default('redact'),
  LLM_FIRST_TOKEN_TIMEOUT_MS: num(2000),
  LLM_TOTAL_TIMEOUT_MS: num(20000),
  /**
   * /v1/generate's event stream sends an SSE comment this often (ms) while it is open and says so
   * in a header (x-switchyard-heartbeat-ms), so the edge fails over from a frozen region within
   * its UPSTREAM_STALL_TIMEOUT_MS instead of its idle timeout. 0: no heartbeat.
   */
  SSE_HEARTBEAT_MS: num(1000),
  GUARDRAILS: z.enum(['sentence', 'off']).default('sentence'),
  /**
   * Level of the JSON log lines (one per request, pino, stdout). Its default is the process's own
   * LOG_LEVEL (the test runner sets "error"), else info.
   */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default(logLevelDefault()),
  /** "true" adds each chat message's text, PII-redacted, to its request's log line. */
  LOG_MESSAGES: z.enum(['true', 'false']).default('false'),
  /** Estimated tokens (4 characters each) of a session's earlier turns shown to the generator; the oldest go first. 0: single-turn. */
  HISTORY_TOKEN_BUDGET: z.coerce.number().int().min(0).max(100_000).default(1000),
  /** Budget for reading a session's turns from the store; past it the answer is single-turn (session_unavailable). */
  HISTORY_TIMEOUT_MS: num(250),
  /** Keys that exist from the start (hashed into the store); change them outside local dev. */
  EDGE_API_KEY: z.string().min(8).default('dev-edge-key'),
  ADMIN_API_KEY: z.string().min(8).default('dev-admin-key'),
  DEFAULT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** redis://… : per-key rate limits shared by every regional process (else per process). */
  REDIS_URL: z.string().optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('switchyard:ratelimit'),
  /** Budget of one rate-limit check in Redis; past it (or with Redis down) the in-process limit applies. */
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(1).default(100),
  /** Where batch jobs write their output (default: batch/ next to the SQLite file, ./data/batch on PostgreSQL). */
  BATCH_DIR: z.string().optional(),
  /** Comma-separated directories a batch job's inputPath may point into (besides BATCH_DIR). */
  BATCH_INPUT_ROOTS: z.string().default(''),
  /** How often the registry is checked for a newly promoted classifier, reranker or local embedder (hot reload). */
  HOT_RELOAD_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** Hot reload: a replaced model is released once its batcher has been idle this long (calls picked up before the swap may still arrive). */
  MODEL_RETIRE_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Rollouts: how often the rules are re-read from the registry (the CLI and other instances write there). */
  ROLLOUT_REFRESH_MS: z.coerce.number().int().min(50).default(5_000),
  /** Rollouts: how often the canary guardrails are evaluated (also after ROLLOUT_EVAL_EVERY new canary observations). */
  ROLLOUT_EVAL_INTERVAL_MS: z.coerce.number().int().min(50).default(10_000),
  ROLLOUT_EVAL_EVERY: z.coerce.number().int().min(1).default(50),
  /** Rollouts with REDIS_URL: how often this instance writes its canary windows to the fleet's (ops/rollout-fleet.ts). */
  ROLLOUT_SHARE_MS: z.coerce.number().int().min(50).default(2_000),
  /** Rollouts: the sliding window of the per-variant stats the guardrails compare. */
  ROLLOUT_WINDOW_MS: z.coerce.number().int().min(1000).default(15 * 60_000),
  /** Registry name of the region's LLM configurations. */
  LLM_CONFIG_MODEL: z.string().min(1).default('switchyard-llm-config'),
  /** Most shadow generations of an LLM configuration at once (at the lowest queue priority); more are dropped. */
  SHADOW_LLM_CONCURRENCY: z.coerce.number().int().min(1).default(2),
  /**
   * A session with no turn for this long has ended: it counts as ended in the per-session histograms, its turns are no longer
   * shown to the generator, and an order it proved is asked again this long after the proof (the edge's SESSION_TTL_MS: keep them alike).
   */
  SESSION_IDLE_MS: z.coerce.number().int().min(1000).default(30 * 60_000),
  /** This instance's name in the dashboard's stored samples (default host:PORT; keep it stable across restarts). */
  INSTANCE_ID: z.string().min(1).max(200).optional(),
  /** How often the dashboard's sampler takes a sample of the metrics (ms). */
  DASHBOARD_SAMPLE_MS: z.coerce.number().int().min(50).default(10_000),
  /** Samples kept in memory (the rest are read from the store). */
  DASHBOARD_RING_SIZE: z.coerce.number().int().min(10).max(1_000_000).default(8640),
  /** Samples older than this are deleted from the store. */
  DASHBOARD_RETENTION_HOURS: z.coerce.number().positive().default(7 * 24),
  /** The edge's GET /metrics (Prometheus text), read by the sampler for the edge's path mix; unset: none. */
  EDGE_METRICS_URL: z.string().url().optional(),
  /** The domain pack served (domains/README.md); its domain.json names the classifier and embedder unless CLASSIFIER_MODEL / EMBEDDER_MODEL are set. */
  SWITCHYARD_DOMAIN: z.string().min(1).default(DEFAULT_DOMAIN_DIR),
  /** Seeds the demo store knowledge base at startup (only documents whose content changed). */
  SEED_STORE_KB: z.enum(['true', 'false']).default('true'),
  /** Re-embeds, in the background after startup, chunks whose vectors came from another embedder. */
  REEMBED_STALE_CHUNKS: z.enum(['true', 'false']).default('true'),
});
export type RegionalConfig = z.infer<typeof RegionalConfig>;

export type ResolvedConfig = Omit<RegionalConfig, 'LLM_BACKEND'> & { LLM_BACKEND: 'extractive' | 'bedrock' | 'openai' };

function logLevelDefault(): 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' {
  const l = process.env.LOG_LEVEL;
  return l === 'trace' || l === 'debug' || l === 'warn' || l === 'error' || l === 'fatal' || l === 'silent' ? l : 'info';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ResolvedConfig {
  const r = RegionalConfig.safeParse(env);
  if (!r.success) {
    throw new Error(`invalid regional configuration: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const hasAws = !!(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
  const llm = r.data.LLM_BACKEND === 'auto' ? (hasAws ? 'bedrock' : 'extractive') : r.data.LLM_BACKEND;
  // A chosen domain brings its own model folders, unless they are set explicitly.
  const models = env.SWITCHYARD_DOMAIN
    ? { CLASSIFIER_MODEL: env.CLASSIFIER_MODEL ?? domainModelDir(r.data.SWITCHYARD_DOMAIN, 'classifier'), EMBEDDER_MODEL: env.EMBEDDER_MODEL ?? domainModelDir(r.data.SWITCHYARD_DOMAIN, 'embedder') }
    : {};
  return { ...r.data, ...models, LLM_BACKEND: llm };
}
