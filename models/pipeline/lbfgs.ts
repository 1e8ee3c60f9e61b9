/** Minimal L-BFGS (memory 10) with a backtracking Armijo line search. */
export function lbfgs(fn: (p: Float64Array) => { value: number; grad: Float64Array }, p0: Float64Array, maxIter: number): Float64Array {
  const m = 10;
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  let p = p0;
  let { value, grad } = fn(p);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  for (let it = 0; it < maxIter; it++) {
    const q = Float64Array.from(grad);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dot(S[k], q) / dot(Y[k], S[k]);
      alpha[k] = a;
      for (let i = 0; i < q.length; i++) q[i] -= a * Y[k][i];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.sqrt(dot(grad, grad));
    for (let i = 0; i < q.length; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const b = dot(Y[k], q) / dot(Y[k], S[k]);
      for (let i = 0; i < q.length; i++) q[i] += S[k][i] * (alpha[k] - b);
    }
    // direction = -q
    const slope = -dot(grad, q);
    if (!(slope < 0)) break;
    let step = 1;
    let next: Float64Array | undefined;
    let res: { value: number; grad: Float64Array } | undefined;
    for (let ls = 0; ls < 30; ls++) {
      next = p.map((v, i) => v - step * q[i]);
      res = fn(next);
      if (res.value <= value + 1e-4 * step * slope) break;
      step /= 2;
      res = undefined;
    }
    if (!res || !next) break;
    const s = next.map((v, i) => v - p[i]);
    const yv = res.grad.map((v, i) => v - grad[i]);
    if (dot(s, yv) > 1e-12) {
      S.push(s);
      Y.push(yv);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    const improvement = value - res.value;
    p = next;
    value = res.value;
    grad = res.grad;
    if (improvement < 1e-9 * Math.max(1, Math.abs(value))) break;
  }
  return p;
}
