/**
 * Which files of a domain pack are its text (the JSON, JSONL and Markdown the checker reads): every
 * one below the pack's folder except under `models/`, `reports/` and dot-folders. The walk takes
 * the file system as two functions, so each tier reads the pack its own way.
 */

export interface PackFileSystem {
  /** The entries of a folder, by name. */
  list(dir: string): ReadonlyArray<{ name: string; isDirectory: boolean }>;
  read(file: string): string;
}

const TEXT_FILE = /\.(json|jsonl|md)$/;
const SKIPPED_FOLDERS = new Set(['models', 'reports']);

/** The pack's text files by path relative to `root` (`/`-separated). */
export function packTextFiles(root: string, fs: PackFileSystem): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.list(rel ? `${root}/${rel}` : root)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (!e.name.startsWith('.') && !SKIPPED_FOLDERS.has(path)) walk(path);
      } else if (TEXT_FILE.test(e.name)) out[path] = fs.read(`${root}/${path}`);
    }
  };
  walk('');
  return out;
}
