/**
 * The model registry's rules, shared by both Store implementations: which stage moves are
 * allowed, what a move is called in the history, and which version a rollback restores.
 */
import { StoreError, type ModelStage, type StageAction } from './types.ts';

/**
 * dev → staging → production → archived. Production is reached only from staging (after the
 * evaluation gate) or from archived (bringing an earlier version back); it is left by archiving,
 * by demoting to staging, or by another version's promotion (which archives it).
 */
const ALLOWED: Record<ModelStage, readonly ModelStage[]> = {
  dev: ['staging', 'archived'],
  staging: ['production', 'dev', 'archived'],
  production: ['staging', 'archived'],
  archived: ['staging', 'production'],
};

const ORDER: Record<ModelStage, number> = { dev: 0, staging: 1, production: 2, archived: 3 };

/** Throws CONFLICT when a version may not move from `from` to `to`. */
export function checkTransition(label: string, from: ModelStage, to: ModelStage): void {
  if (from === to) throw new StoreError('CONFLICT', `${label} is already in ${to}`);
  if (!ALLOWED[from].includes(to)) {
    throw new StoreError('CONFLICT', `${label} cannot move from ${from} to ${to} (allowed from ${from}: ${ALLOWED[from].join(', ')})`);
  }
}

export function actionFor(from: ModelStage, to: ModelStage): StageAction {
  return to === 'production' || (to !== 'archived' && ORDER[to] > ORDER[from]) ? 'promote' : 'demote';
}

/**
 * The version a rollback restores: walking the history back from the current production
 * version's latest entry into production, the latest earlier entry into production of another
 * version. null when there is none.
 */
export function rollbackTarget(history: readonly { version: string; toStage: ModelStage }[], current: string): string | null {
  let i = history.length - 1;
  while (i >= 0 && !(history[i].version === current && history[i].toStage === 'production')) i--;
  for (i--; i >= 0; i--) if (history[i].toStage === 'production' && history[i].version !== current) return history[i].version;
  return null;
}
