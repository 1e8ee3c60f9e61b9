/**
 * Labelled examples as the domains keep them: JSONL files of `{"text","label"}` rows (label "oos"
 * = out of scope) in train / val / test splits. Parsing only; each tier reads the files its own way.
 */
import { z } from 'zod';

export interface LabeledExample {
  text: string;
  label: string;
}

export interface Dataset {
  name: string;
  train: LabeledExample[];
  /** Validation split; when a set has none, callers carve one out of train. */
  val?: LabeledExample[];
  test: LabeledExample[];
}

const jsonlRow = z.object({
  text: z.string().min(1, 'text must be a non-empty string'),
  label: z.string().min(1, 'label must be a non-empty string'),
});

/**
 * Parses one JSONL file of `{"text","label"}` rows. Blank lines are skipped; any other bad line
 * throws `Error("<file>:<line>: ...")` (1-based line numbers).
 */
export function parseJsonlExamples(content: string, file: string): LabeledExample[] {
  const out: LabeledExample[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${where}: invalid JSON (${(err as Error).message})`);
    }
    const parsed = jsonlRow.safeParse(value);
    if (!parsed.success) {
      const msg = parsed.error.issues
        .map((iss) => `${iss.path.length ? iss.path.join('.') : '(row)'}: ${iss.message}`)
        .join('; ');
      throw new Error(`${where}: expected {"text": string, "label": string}: ${msg}`);
    }
    out.push({ text: parsed.data.text, label: parsed.data.label });
  }
  return out;
}

/** A split file as read: its name for messages, and its text when it exists. */
export type SplitFile = { file: string; content?: string };

/** A dataset from its split files: train and test are required, val is optional, train must not be empty. */
export function datasetOf(name: string, split: (name: 'train' | 'val' | 'test') => SplitFile): Dataset {
  const read = (f: SplitFile) => parseJsonlExamples(f.content!, f.file);
  const [train, test, val] = [split('train'), split('test'), split('val')];
  for (const f of [train, test]) if (f.content === undefined) throw new Error(`${f.file}: missing (required split)`);
  const ds: Dataset = { name, train: read(train), test: read(test) };
  if (val.content !== undefined) ds.val = read(val);
  if (ds.train.length === 0) throw new Error(`${train.file}: no examples`);
  return ds;
}
