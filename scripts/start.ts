/**
 * `npm start`: the regional service (models, SQLite, demo knowledge base, extractive generator),
 * the edge Worker (workerd via wrangler dev), and the demo store page with the browser widget
 * (built into browser/dist, served on WIDGET_PORT), locally and offline, on the embedded defaults.
 * SWITCHYARD_DOMAIN=<dir> serves another domain pack on all three (domains/README.md).
 * Ctrl-C stops all three.
 */
import { loadConfig } from '../regional/src/config.ts';
import { startRegional } from '../regional/src/server.ts';
import { domainPack } from '../regional/src/domain/pack-files.ts';
import { startEdgeProcess } from './edge-process.ts';
import { buildWidget } from './build-widget.ts';
import { startWidgetServer } from '../browser/server.ts';

// The page is served as soon as its files are in place; on a first run their .br/.gz siblings
// (brotli at quality 11, a minute or two on two cores) follow in the background.
const widgetBuild = buildWidget({ quiet: true, precompress: 'later' });
const edgePort = Number(process.env.EDGE_PORT ?? 8787);
// The region's dashboard reads the edge's path mix from its /metrics.
const regional = await startRegional(loadConfig({ EDGE_METRICS_URL: `http://127.0.0.1:${edgePort}/metrics`, ...process.env }));
const edge = await startEdgeProcess({ port: edgePort, regionalUrl: regional.url });
const built = await widgetBuild;
const widget = await startWidgetServer({ port: Number(process.env.WIDGET_PORT ?? 8790), edgeUrl: edge.url });

console.log(`
Switchyard is running the ${domainPack(regional.services.config.SWITCHYARD_DOMAIN).domain.displayName} assistant (offline, embedded default models):
  edge      ${edge.url}      chat page: ${edge.url}/   API: POST /v1/chat, /v1/classify, GET /v1/models
  regional  ${regional.url}      POST /v1/generate, /v1/embeddings, /v1/rerank; GET /metrics, /readyz
            ${regional.url}/dashboard   ops dashboard (admin key: dev-admin-key)
  widget    ${widget.url}      demo store page with <switchyard-chat> (on-device models; ?debug shows diagnostics)

Try:
  curl -N ${edge.url}/v1/chat -H 'content-type: application/json' -d '{"message":"do you ship to alaska?","sessionId":"demo"}'
Ctrl-C stops all three.`);
const t = Date.now();
void built.compressed?.then(
  (files) => {
    const ms = Date.now() - t;
    // Cached by content: a later start has them at once and says nothing.
    if (ms > 1000) console.log(`widget: compressed copies ready (${files.filter((f) => f.brBytes).length} files, brotli and gzip, ${(ms / 1000).toFixed(0)} s); until now files were sent uncompressed`);
  },
  (e) => console.error(`widget: compression failed, files are sent uncompressed: ${e instanceof Error ? e.message : e}`),
);

const stop = async () => {
  await widget.close();
  await edge.stop();
  await regional.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
