/**
 * Shoppers' think time in the traffic replay: how long a shopper waits before sending each message
 * of a session (reading the last answer and typing the next message; for a session's first message,
 * typing it after opening the chat). Log-normal with a stated median and log-space sigma, divided
 * by a time-compression factor, drawn from its own seeded stream (one draw pair per turn, in session
 * and turn order), so the sessions' messages are the same with think time on or off and every run
 * of a seed waits the same, whatever the answers. A median of 0 is back-to-back (no draws, no waits).
 * Why the defaults: docs/traffic.md, "Think time". Refuses a negative median or sigma and a
 * compression under 1.
 */
import { logNormal, rng } from './random.ts';
import type { Session } from './sessions.ts';

export interface ThinkModel {
  /** Median wait before a message, ms, before compression (0: back-to-back). */
  medianMs: number;
  /** Log-space standard deviation of the wait. */
  sigma: number;
  /** Every wait is divided by this (1: real time). */
  compression: number;
}

/** Log-space spread of a shopper's wait (docs/traffic.md, "Think time"). */
export const THINK_SIGMA = 0.8;

/** The model as the JSON states it, so runs say what load they were. */
export function describeThink(m: ThinkModel) {
  if (m.medianMs === 0) return { model: 'back-to-back' as const, medianMs: 0 };
  const effective = m.medianMs / m.compression;
  return {
    model: 'log-normal' as const,
    medianMs: m.medianMs,
    sigma: m.sigma,
    compression: m.compression,
    /** The waits the replay really made: median and mean (median × e^(σ²/2)) after compression. */
    effectiveMedianMs: Number(effective.toFixed(1)),
    effectiveMeanMs: Number((effective * Math.exp((m.sigma * m.sigma) / 2)).toFixed(1)),
  };
}

/** Per session, per turn: ms to wait before sending that turn. */
export function thinkTimes(sessions: readonly Session[], m: ThinkModel, seed: number): number[][] {
  if (!(m.medianMs >= 0) || !(m.sigma >= 0)) throw new Error(`think time needs a median and sigma ≥ 0, got ${m.medianMs} and ${m.sigma}`);
  if (!(m.compression >= 1)) throw new Error(`time compression must be ≥ 1, got ${m.compression}`);
  if (m.medianMs === 0) return sessions.map((s) => s.turns.map(() => 0));
  // Its own stream: the session builder's streams, and so the messages, are untouched.
  const random = rng(seed ^ 0x7b1c5d);
  return sessions.map((s) => s.turns.map(() => logNormal(m.medianMs, m.sigma, random) / m.compression));
}
