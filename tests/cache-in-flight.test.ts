/**
 * Single flight for cache misses (shared/cache/in-flight.ts): who waits for whom, and that a
 * flight always lands (followers are never left waiting past their bound).
 */
import { describe, expect, it } from 'vitest';
import { InFlight } from '../shared/cache/in-flight.ts';
import type { KeyFrame } from '../shared/cache/key-frame.ts';

const frame = (intent: string, entities = '', qualifier = ''): KeyFrame => ({ intent, aspect: 'cost', entities, qualifier }) as KeyFrame;
const unit = (...xs: number[]) => {
  const n = Math.hypot(...xs);
  return Float32Array.from(xs.map((x) => x / n));
};

describe('in-flight cache misses', () => {
  it('shares a flight only within the same frame and at or above the threshold', () => {
    const f = new InFlight();
    const land = f.start(frame('shipping_info', 'place:canada'), unit(1, 0));
    expect(f.find(frame('shipping_info', 'place:canada'), unit(1, 0.1), 0.9)).not.toBeNull();
    expect(f.find(frame('shipping_info', 'place:canada'), unit(0, 1), 0.9)).toBeNull(); // another question
    expect(f.find(frame('shipping_info', 'place:mexico'), unit(1, 0), 0.9)).toBeNull(); // another destination
    expect(f.find(frame('purchase_help', 'place:canada'), unit(1, 0), 0.9)).toBeNull(); // another intent
    expect(f.find(frame('shipping_info', 'place:canada', 'express'), unit(1, 0), 0.9)).toBeNull(); // another qualifier
    land();
    expect(f.find(frame('shipping_info', 'place:canada'), unit(1, 0), 0.9)).toBeNull();
    expect(f.size).toBe(0);
  });

  it('releases its followers when it lands, and a follower stops waiting at its bound', async () => {
    const f = new InFlight();
    const land = f.start(frame('shipping_info'), unit(1, 0));
    const landed = f.find(frame('shipping_info'), unit(1, 0), 0.5)!;
    expect(await InFlight.wait(landed, 20)).toBe(false); // still in the air after 20 ms
    const waiting = InFlight.wait(landed, 5000);
    land();
    land(); // landing twice is harmless
    expect(await waiting).toBe(true);
  });
});
