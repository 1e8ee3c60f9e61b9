/** Bindings and vars of the edge Worker (see wrangler.toml). */
import type { SessionStore } from './session/session-object.ts';

export interface EdgeEnv {
  CACHE_DB: D1Database;
  /** The Worker's static assets (wrangler.toml [assets]): the domain's model files, read on first need (runtime/asset-models.ts). */
  ASSETS?: Fetcher;
  REGIONAL_URL: string;
  /** Several regions, comma-separated, in order of preference (failover: chat/region-failover.ts); overrides REGIONAL_URL for chat. */
  REGIONAL_URLS?: string;
  UPSTREAM_TIMEOUT_MS?: string;
  UPSTREAM_IDLE_TIMEOUT_MS?: string;
  /** Silence (ms) after which a region that announced a heartbeat counts as frozen; "0" turns it off. */
  UPSTREAM_STALL_TIMEOUT_MS?: string;
  EDGE_MODELS?: string;
  ADMIN_KEY?: string;
  REGION_API_KEY?: string;
  /** How often an isolate asks the region for newly promoted model versions (ms); "0" turns it off. */
  MODEL_REFRESH_INTERVAL_MS?: string;
  /** Time a new version's files get to download (ms). */
  MODEL_DOWNLOAD_TIMEOUT_MS?: string;
  /** Optional Workers Analytics Engine dataset for fleet-wide answer metrics. */
  METRICS?: AnalyticsEngineDataset;
  /** Origins the browser-facing routes answer (comma-separated, or `*` in local dev only): http/origins.ts. */
  ALLOWED_ORIGINS?: string;
  /** Workers rate-limiting bindings by client IP and by sessionId (wrangler.toml); http/client-limits.ts. */
  CLIENT_LIMITER?: RateLimit;
  SESSION_LIMITER?: RateLimit;
  /** Limits of the in-isolate fallback, used where a binding is absent. */
  CLIENT_RATE_LIMIT_PER_MINUTE?: string;
  SESSION_RATE_LIMIT_PER_MINUTE?: string;
  /** "true" adds each chat message, PII-redacted, to its request's log line. */
  LOG_MESSAGES?: string;
  /** One Durable Object per chat session (edge/src/session/). */
  SESSIONS?: DurableObjectNamespace<SessionStore>;
  /** Idle time (ms) after which a session's turns are forgotten; default 30 minutes. */
  SESSION_TTL_MS?: string;
  /** Time (ms) a request waits for its session's turns before answering single-turn. */
  SESSION_TIMEOUT_MS?: string;
}
