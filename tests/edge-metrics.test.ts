/**
 * The edge's model meter (edge/src/http/metrics.ts): each wrapped model call is counted under its
 * role and version, the label text made once per wrapped model rather than per call (a model call
 * runs inside an answer's timed span), with the same series as before.
 */
import { describe, expect, it } from 'vitest';
import { EdgeMetrics } from '../edge/src/http/metrics.ts';

describe('EdgeMetrics.meter', () => {
  it('counts calls and failures under the role and version', async () => {
    const m = new EdgeMetrics();
    let fail = false;
    const classify = m.meter('classifier', 'clf-1', async (texts: string[]) => {
      if (fail) throw new Error('boom');
      return texts.length;
    });
    const embed = m.meter('embedder', 'emb "2"', async () => 1);
    expect(await classify(['a', 'b'])).toBe(2);
    expect(await classify(['c'])).toBe(1);
    await embed();
    fail = true;
    await expect(classify(['d'])).rejects.toThrow('boom');
    const text = m.render();
    expect(text).toContain('switchyard_edge_model_latency_seconds_count{role="classifier",version="clf-1"} 3\n');
    expect(text).toContain('switchyard_edge_model_latency_seconds_count{role="embedder",version="emb _2_"} 1\n');
    expect(text).toContain('switchyard_edge_model_errors_total{role="classifier",version="clf-1"} 1\n');
    expect(text).not.toContain('switchyard_edge_model_errors_total{role="embedder"');
  });
});
