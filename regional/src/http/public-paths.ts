/**
 * Public responses (health, errors) never show this machine's absolute paths: a path under the
 * working directory is shown relative to it, any other absolute path by its last two parts.
 */
import { relative, sep } from 'node:path';

const ABSOLUTE = /(?<![\w.:/-])\/(?:[\w.@+-]+\/)+[\w.@+-]*/g;

export function withoutPaths(text: string, cwd = process.cwd()): string {
  return text.replace(ABSOLUTE, (p) => {
    const rel = relative(cwd, p);
    if (rel && !rel.startsWith('..')) return rel;
    return `…/${p.split(sep).filter(Boolean).slice(-2).join('/')}`;
  });
}

/** A loaded model's description without where it lies on disk. */
export function publicModelInfo<T extends object>(info: T): Omit<T, 'path'> {
  const { path: _path, ...rest } = info as T & { path?: string };
  return rest;
}
