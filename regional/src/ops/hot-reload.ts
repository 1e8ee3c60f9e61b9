/**
 * Hot reload of the classifier: when the registry names a new production version, its files
 * are re-verified, it is loaded and warmed beside the serving one, then swapped in, and the
 * drift baseline follows it. A corrupt artifact is refused and the old version keeps serving.
 */
import type { Services } from '../services.ts';
import { isDriftBaseline } from './drift.ts';
import { setDriftBaseline } from './drift-monitor.ts';
import { watchProduction, type PromotionWatch } from './promotion-watch.ts';

export function startClassifierHotReload(s: Services, opts: { intervalMs?: number; log?: (m: string) => void } = {}): PromotionWatch | null {
  const info = s.models.find((m) => m.role === 'classifier')?.info;
  if (!info) return null;
  const log = opts.log ?? console.log;
  return watchProduction(s.store.registry, info.name, {
    current: info.version,
    intervalMs: opts.intervalMs,
    onPromoted: async (v) => {
      await s.swapClassifier(v.artifactUri);
      setDriftBaseline(v.baseline && isDriftBaseline(v.baseline) ? v.baseline : null);
      log(`hot-reloaded ${v.name}@${v.version} (promoted by ${v.promotedBy ?? 'unknown'})`);
    },
    onRefused: (v, reason) => log(`refused ${v.name}@${v.version}: ${reason.message}; the old version keeps serving`),
  });
}
