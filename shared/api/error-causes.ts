/** Whether an error or one of its causes (`cause`, as drizzle and fetch wrap them; at most 5 deep) matches. */
export function anyCause(e: unknown, match: (x: { code?: unknown; message?: unknown }) => boolean): boolean {
  let x: unknown = e;
  for (let depth = 0; x && typeof x === 'object' && depth < 5; depth++) {
    if (match(x as { code?: unknown; message?: unknown })) return true;
    x = (x as { cause?: unknown }).cause;
  }
  return false;
}
