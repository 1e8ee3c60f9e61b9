/**
 * Whether this visit may download the on-device models at all: not when the visitor asked the
 * browser to save data (`navigator.connection.saveData`, the `Save-Data` client hint) and not on
 * a slow connection (`effectiveType` slow-2g, 2g or 3g), where several MB would cost the visitor
 * more than the edge's answers do. Browsers without the Network Information API (Firefox,
 * Safari) say nothing, and the models may load. Refuses nothing else: the budget and integrity
 * checks come later, in the runtime.
 */

/** The part of the Network Information API read here. */
export interface ConnectionLike {
  saveData?: boolean;
  effectiveType?: string;
}

export type NetworkVerdict = { allowed: true } | { allowed: false; code: 'SAVE_DATA' | 'SLOW_CONNECTION'; reason: string };

const SLOW = new Set(['slow-2g', '2g', '3g']);

export function currentConnection(): ConnectionLike | undefined {
  return (globalThis.navigator as unknown as { connection?: ConnectionLike } | undefined)?.connection;
}

export function networkVerdict(conn: ConnectionLike | undefined = currentConnection()): NetworkVerdict {
  if (conn?.saveData === true) return { allowed: false, code: 'SAVE_DATA', reason: 'the browser asks to save data (Save-Data): the edge answers everything' };
  if (conn?.effectiveType && SLOW.has(conn.effectiveType)) {
    return { allowed: false, code: 'SLOW_CONNECTION', reason: `slow connection (effectiveType ${conn.effectiveType}): the edge answers everything` };
  }
  return { allowed: true };
}
