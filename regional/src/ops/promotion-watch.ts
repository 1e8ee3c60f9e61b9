/**
 * Watches the registry for a new production version of a model, so the region can hot-reload
 * it without a redeploy: every `intervalMs` the production version is read; when it changed, its
 * artifact is re-verified against the sha256 recorded at registration and only then handed to
 * `onPromoted` (which loads and warms the new version before swapping it in). A corrupt or
 * mismatching artifact goes to `onRefused` and the old version keeps serving; the same version is
 * not retried until the registry changes again.
 */
import type { ModelRegistryStore, ModelVersionRecord } from '../store/types.ts';
import { verifyRegisteredArtifact } from './register-folder.ts';

export interface PromotionWatchOptions {
  /** The version serving now (name@version is `${name}@${current}`); null when none. */
  current: string | null;
  intervalMs?: number;
  onPromoted: (v: ModelVersionRecord) => Promise<void>;
  onRefused?: (v: ModelVersionRecord, reason: Error) => void;
}

export interface PromotionWatch {
  /** One check now (also what the timer runs); resolves when any reload it started is done. */
  check(): Promise<void>;
  stop(): void;
}

export function watchProduction(registry: ModelRegistryStore, name: string, opts: PromotionWatchOptions): PromotionWatch {
  let current = opts.current;
  let refused: string | null = null;
  let running: Promise<void> | null = null;
  const check = (): Promise<void> => {
    running ??= (async () => {
      try {
        const v = await registry.getProductionVersion(name);
        if (!v || v.version === current || v.version === refused) return;
        try {
          await verifyRegisteredArtifact(v);
          await opts.onPromoted(v);
          current = v.version;
          refused = null;
        } catch (e) {
          refused = v.version;
          opts.onRefused?.(v, e as Error);
        }
      } catch {
        // The registry is unreachable: keep serving what we have and look again later.
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void check(), opts.intervalMs ?? 30_000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
