/**
 * A reference Worker for the edge's time-to-first-token bench (scripts/bench-services.ts, part
 * `openai`): it sends each request on to the region's own route, unchanged but for the edge's key,
 * and hands the region's response back as it is (workerd pipes the body; no JavaScript per chunk).
 * What it adds to the region's time to first token is what any Worker in front of the region costs
 * on this machine (the client → workerd and workerd → region hops, workerd's own scheduling), so
 * the edge's figure less this one is the edge's own work. Not part of the product.
 */
interface Env {
  REGIONAL_URL: string;
  REGION_API_KEY?: string;
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === '/healthz') return new Response('ok');
    return fetch(new URL(url.pathname, env.REGIONAL_URL), {
      method: req.method,
      headers: { 'content-type': req.headers.get('content-type') ?? 'application/json', authorization: `Bearer ${env.REGION_API_KEY ?? 'dev-edge-key'}` },
      body: await req.text(),
    });
  },
};
