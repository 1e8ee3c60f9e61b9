/**
 * Where the widget's model and runtime files are served: by content, `files/<sha256><ext>` beside
 * the bundle (the naming is shared/models/content-address.ts, the same the edge's assets use).
 * Used by the build (to lay the files out) and by the widget (to fetch them); the digest is still
 * checked after every download (verified-files.ts).
 */
import { filePath } from '../../../shared/models/content-address.ts';

export { filePath };

export function fileUrl(base: URL, sha256: string, name: string): URL {
  return new URL(filePath(sha256, name), base);
}
