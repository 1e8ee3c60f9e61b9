/**
 * The model registry's rules, shared by both Store implementations: which stage moves are
 * allowed, what a move is called in the history, and which version a rollback restores.
 */
import { StoreError, type ModelStage, type StageAction, type StageChangeInput } from './types.ts';

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

/** What both dialects raise when a concurrent promotion won the one-production index race. */
export const CONCURRENT_STAGE_CHANGE = 'another stage change for this model happened at the same time; retry';

/** What both dialects raise when another rollout change took the revision first. */
export const CONCURRENT_ROLLOUT_CHANGE = 'the rollout rule changed at the same time; read it again and retry';

/** The next rollout revision after `current` (0: none yet); CONFLICT when the caller expected another one. */
export function nextRolloutRevision(name: string, current: number, expected: number | undefined): number {
  if (expected !== undefined && expected !== current) {
    throw new StoreError('CONFLICT', `${name}: the rollout rule is at revision ${current}, not ${expected}; read it again and retry`);
  }
  return current + 1;
}

/** One stage change to apply: `row` moves to `to`, recorded in the history as `action`. */
export interface StageMove<R> {
  row: R;
  to: ModelStage;
  action: StageAction;
  change: StageChangeInput;
}

interface VersionRow {
  version: string;
  stage: ModelStage;
}

/**
 * The changes that move `version` of model `name` (`rows`: all its versions) to `to`, in order:
 * when `to` is production, first archiving the version now in production; last, the move itself.
 * NOT_FOUND when there is no such version, CONFLICT when the move is not allowed.
 */
export function planSetStage<R extends VersionRow>(name: string, rows: readonly R[], version: string, to: ModelStage, c: StageChangeInput): StageMove<R>[] {
  const row = rows.find((r) => r.version === version);
  if (!row) throw new StoreError('NOT_FOUND', `no model version ${name}@${version}`);
  checkTransition(`${name}@${version}`, row.stage, to);
  const moves: StageMove<R>[] = [];
  if (to === 'production') {
    const current = rows.find((r) => r.stage === 'production');
    if (current) moves.push({ row: current, to: 'archived', action: 'demote', change: { actor: c.actor, reason: `replaced by ${version}${c.reason ? `: ${c.reason}` : ''}` } });
  }
  moves.push({ row, to, action: c.action ?? actionFor(row.stage, to), change: c });
  return moves;
}

/**
 * A rollback of model `name` (`rows`: all its versions, `history`: its stage changes oldest
 * first): the production version to archived, then the one before it (rollbackTarget) back to
 * production. NOT_FOUND when nothing is in production, CONFLICT when there is no earlier one.
 */
export function planRollback<R extends VersionRow>(
  name: string,
  rows: readonly R[],
  history: readonly { version: string; toStage: ModelStage }[],
  c: StageChangeInput,
): { from: StageMove<R>; to: StageMove<R> } {
  const current = rows.find((r) => r.stage === 'production');
  if (!current) throw new StoreError('NOT_FOUND', `${name} has no version in production`);
  const target = rollbackTarget(history, current.version);
  if (!target) throw new StoreError('CONFLICT', `${name}@${current.version} is the first production version: there is nothing to roll back to`);
  const prev = rows.find((r) => r.version === target)!;
  const reason = c.reason ?? null;
  return {
    from: { row: current, to: 'archived', action: 'rollback', change: { actor: c.actor, reason: `rolled back to ${target}${reason ? `: ${reason}` : ''}` } },
    to: { row: prev, to: 'production', action: 'rollback', change: { actor: c.actor, reason: `rollback from ${current.version}${reason ? `: ${reason}` : ''}` } },
  };
}
