// Where the benches' edges keep their local state (scripts/edge-state-dir.ts): a tmpfs dir that is
// really on a tmpfs, a disk dir under the OS temp dir, and a refusal to call a disk dir a tmpfs one.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { edgeStateDir, edgeStateKinds, fsTypeOf } from '../scripts/edge-state-dir.ts';

const shm = fsTypeOf('/dev/shm') === 'tmpfs';

describe('edge state dir', () => {
  const before = process.env.SWITCHYARD_TMPFS_DIR;
  afterEach(() => {
    if (before === undefined) delete process.env.SWITCHYARD_TMPFS_DIR;
    else process.env.SWITCHYARD_TMPFS_DIR = before;
  });

  it('reads BENCH_EDGE_STATE: tmpfs by default, both as tmpfs then disk, anything else refused', () => {
    expect(edgeStateKinds(undefined)).toEqual(['tmpfs']);
    expect(edgeStateKinds('disk')).toEqual(['disk']);
    expect(edgeStateKinds('both')).toEqual(['tmpfs', 'disk']);
    expect(() => edgeStateKinds('shm')).toThrow(/tmpfs, disk or both/);
  });

  it.runIf(shm)('makes a tmpfs dir on the tmpfs, and a disk dir under the OS temp dir', () => {
    const t = edgeStateDir('tmpfs', 'sy-test-state-');
    expect(t.startsWith('/dev/shm/sy-test-state-')).toBe(true);
    expect(fsTypeOf(t)).toBe('tmpfs');
    expect(readdirSync(t)).toEqual([]);
    const d = edgeStateDir('disk', 'sy-test-state-');
    expect(d.startsWith(tmpdir())).toBe(true);
    expect(existsSync(d)).toBe(true);
    // A test worker may end without 'exit' (the dirs' own clean-up), so the test removes them.
    for (const dir of [t, d]) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a tmpfs dir that is not on a tmpfs', () => {
    process.env.SWITCHYARD_TMPFS_DIR = tmpdir();
    if (fsTypeOf(tmpdir()) === 'tmpfs') return; // nothing to refuse on a machine whose temp dir is a tmpfs
    expect(() => edgeStateDir('tmpfs')).toThrow(/is not a tmpfs/);
  });

  it('finds the longest mount point that holds a path', () => {
    expect(fsTypeOf('/proc/self')).toBe('proc');
    expect(fsTypeOf('/')).toBeTruthy();
  });
});
