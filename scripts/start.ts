/**
 * `npm start`: the regional service (models, SQLite, demo knowledge base, extractive generator)
 * and the edge Worker (workerd via wrangler dev), locally and offline, on the embedded defaults.
 * Ctrl-C stops both.
 */
import { loadConfig } from '../regional/src/config.ts';
import { startRegional } from '../regional/src/server.ts';
import { startEdgeProcess } from './edge-process.ts';

const regional = await startRegional(loadConfig());
const edge = await startEdgeProcess({ port: Number(process.env.EDGE_PORT ?? 8787), regionalUrl: regional.url });

console.log(`
Switchyard is running (offline, embedded default models):
  edge      ${edge.url}      chat page: ${edge.url}/   API: POST /v1/chat, /v1/classify, GET /v1/models
  regional  ${regional.url}      POST /v1/generate, /v1/embeddings, /v1/rerank; GET /metrics, /readyz

Try:
  curl -N ${edge.url}/v1/chat -H 'content-type: application/json' -d '{"message":"do you ship to alaska?","sessionId":"demo"}'
Ctrl-C stops both.`);

const stop = async () => {
  await edge.stop();
  await regional.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
