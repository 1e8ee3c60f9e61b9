// A Node program for tests/soak-leak-estimator.test.ts: every 20 ms it makes 3,000 objects that
// stay reachable until 30,000 have piled up (so its old generation fills and full collections cut
// it back: a sawtooth), and, with LEAK_KB set, keeps that many KB of doubles for good (a leak).
const leakKb = Number(process.env.LEAK_KB ?? 0);
const kept = [];
let held = [];
setInterval(() => {
  for (let i = 0; i < 3000; i++) held.push({ i, s: `item ${i} ${Math.random()}` });
  if (held.length > 30_000) held = [];
  if (leakKb) kept.push(new Array(leakKb * 128).fill(0.5));
}, 20);
setTimeout(() => process.exit(0), Number(process.env.RUN_MS ?? 30_000));
