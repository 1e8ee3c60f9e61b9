/** This region instance's name in what the fleet shares (dashboard samples, rollout windows): INSTANCE_ID, else host:PORT (host:pid on a random port). */
import { hostname } from 'node:os';

export const instanceId = (c: { INSTANCE_ID?: string; PORT: number }): string => c.INSTANCE_ID ?? `${hostname()}:${c.PORT || `pid${process.pid}`}`;
