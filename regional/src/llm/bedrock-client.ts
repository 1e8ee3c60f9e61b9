/**
 * Bedrock runtime clients as every Switchyard Bedrock caller builds them, and the mapping from
 * AWS SDK errors to `LlmError` codes.
 *
 * Clients speak HTTP/1.1 through `NodeHttpHandler` (connection timeout, time-to-headers timeout,
 * idle-socket timeout) and make exactly one attempt per `send`: retries, back-off and failover
 * are ours (resilient-stream.ts), so the SDK must not retry underneath us.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LlmError } from './types.ts';

export interface AwsStaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type AwsCredentials =
  | AwsStaticCredentials
  | (() => Promise<AwsStaticCredentials & { expiration?: Date }>);

export interface BedrockClientOptions {
  region: string;
  /** Omit to use the SDK's default chain (env, profile, instance role). */
  credentials?: AwsCredentials;
  /** e.g. a VPC endpoint; default is bedrock-runtime.{region}.amazonaws.com. */
  endpoint?: string;
  /** TCP + TLS connect. Default 2 s. */
  connectionTimeoutMs?: number;
  /** Until response headers. Default 10 s. */
  headersTimeoutMs?: number;
  /** A socket idle this long is closed. Default 60 s. */
  socketTimeoutMs?: number;
}

export function createBedrockClient(o: BedrockClientOptions): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: o.region,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: o.connectionTimeoutMs ?? 2_000,
      requestTimeout: o.headersTimeoutMs ?? 10_000,
      throwOnRequestTimeout: true,
      socketTimeout: o.socketTimeoutMs ?? 60_000,
    }),
  });
}

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'ModelNotReadyException']);
const TRANSIENT = new Set([
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelStreamErrorException',
  'ModelTimeoutException',
  'ServiceUnavailable',
  'InternalFailure',
]);
const INVALID = new Set(['ValidationException', 'SerializationException']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Maps an AWS SDK (or socket) error to an LlmError with a machine-readable code. */
export function classifyAwsError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  const e = (err ?? {}) as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const msg = `${name}: ${e.message ?? String(err)}`;
  const opts = { cause: err, status };
  if (THROTTLING.has(name) || status === 429) return new LlmError(msg, 'THROTTLED', true, opts);
  if (name === 'TimeoutError' || e.code === 'ETIMEDOUT' || status === 408) return new LlmError(msg, 'TIMEOUT', true, opts);
  if (TRANSIENT.has(name) || (status !== undefined && status >= 500)) return new LlmError(msg, 'UNAVAILABLE', true, opts);
  if (INVALID.has(name) || status === 400 || status === 413) return new LlmError(msg, 'BAD_REQUEST', false, opts);
  if (e.code && NETWORK.has(e.code)) return new LlmError(msg, 'UNAVAILABLE', true, opts);
  // 403 (model not enabled here), 404 (model not in this region), 424, unknown: not worth a retry in
  // the same region, but another region may well answer
  return new LlmError(msg, 'UNAVAILABLE', false, opts);
}
