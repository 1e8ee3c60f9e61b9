/**
 * Dependencies run one way (README, ../shared/STYLE.md): nothing under regional/, edge/, browser/
 * or shared/ imports models/ (build-time code), and models/ imports no runtime tier. Read from
 * the import specifiers of every .ts file, resolved against the importing file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.') ? [] : e.isDirectory() ? tsFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Top folders of the repository each file of `dir` imports (relative specifiers only), as "file -> folder/…". */
function importsOf(dir: string): { file: string; target: string }[] {
  return tsFiles(join(ROOT, dir)).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
    return specs.map((s) => ({ file: relative(ROOT, file), target: relative(ROOT, resolve(dirname(file), s)) }));
  });
}

describe('layering', () => {
  it('no runtime folder imports models/', () => {
    const bad = ['regional', 'edge', 'browser', 'shared'].flatMap(importsOf).filter((i) => i.target.startsWith('models/'));
    expect(bad).toEqual([]);
  });

  it('models/ imports no runtime tier', () => {
    const bad = importsOf('models').filter((i) => /^(regional|edge|browser)\//.test(i.target));
    expect(bad).toEqual([]);
  });

  it('the checker sees imports at all (it would pass vacuously otherwise)', () => {
    expect(importsOf('regional').some((i) => i.target.startsWith('shared/'))).toBe(true);
    expect(importsOf('models').some((i) => i.target.startsWith('shared/'))).toBe(true);
  });
});
