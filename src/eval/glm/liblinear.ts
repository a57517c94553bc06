import { Mt19937 } from "./mt19937.js";

/**
 * scikit-learn's `LogisticRegression(penalty="l1", solver="liblinear", fit_intercept=False, tol=1e-4,
 * max_iter=100, random_state=123)` as AlpacaEval fits it, step for step: liblinear's L1R_LR solver
 * (newGLMNET, Yuan et al. 2012, `solve_l1r_lr` in scikit-learn's linear.cpp) with scikit-learn's
 * random generator. liblinear stops at a relative tolerance, well before the exact optimum; the
 * stopped point moves the length-controlled win rate by ~0.01 points and can change the C the
 * cross-validation picks, so matching AlpacaEval means reproducing its iterations, not the optimum.
 *
 * Rows are duplicated as AlpacaEval duplicates them (label 1 with weight a, label 0 with weight b);
 * liblinear drops zero-weight rows and orders the rest by class, label 0 first.
 */

/** Soft-labelled rows: each is fitted as a label-1 copy of weight a and a label-0 copy of weight b. */
export interface SoftRows {
  /** Feature rows (all the same length). */
  x: readonly (readonly number[])[];
  a: readonly number[];
  b: readonly number[];
}

const TOL = 1e-4;
const MAX_NEWTON_ITER = 100;
/**
 * The seeds scikit-learn hands liblinear: `_logistic_regression_path` makes one
 * `RandomState(random_state=123)` per path and draws `randint(np.iinfo("i").max)` for each C of it, so
 * the k-th C of a cross-validation path gets the k-th draw, and the final refit (a path of one C)
 * the first. (numpy 1.24: `[r.randint(2**31 - 1) for _ in range(10)]` with `r = RandomState(123)`.)
 */
export const PATH_SEEDS = [
  843828734, 914636141, 1228959102, 1840268610, 974319580, 819844194, 220395238, 941243409, 942612051, 2109339754,
] as const;

/** One liblinear fit on the rows listed in `rows` (indices into `data`), seeded with `seed`. */
export function fitLiblinearL1Logistic(data: SoftRows, rows: readonly number[], C: number, seed: number): number[] {
  const xs: (readonly number[])[] = [];
  const y: number[] = [];
  const cost: number[] = [];
  for (const [label, weights] of [
    [-1, data.b],
    [1, data.a],
  ] as const) {
    for (const i of rows) {
      if (!(weights[i] > 0)) continue;
      xs.push(data.x[i]);
      y.push(label);
      cost.push(weights[i] * C);
    }
  }
  const pos = y.filter((v) => v > 0).length;
  const eps = (TOL * Math.max(Math.min(pos, y.length - pos), 1)) / y.length;
  return solveL1rLr(xs, y, cost, eps, new Mt19937(seed));
}

function solveL1rLr(
  xs: readonly (readonly number[])[],
  y: readonly number[],
  C: readonly number[],
  eps: number,
  rng: Mt19937,
): number[] {
  const l = xs.length;
  const n = xs[0]?.length ?? 0;
  const col = Array.from({ length: n }, (_, j) => Float64Array.from(xs, (x) => x[j]));
  const maxIter = 1000;
  const maxLinesearch = 20;
  const nu = 1e-12;
  const sigma = 0.01;
  let innerEps = 1;
  let gnorm1Init = -1;
  let gmaxOld = Infinity;
  let qpNoChange = 0;

  const w = new Array<number>(n).fill(0);
  const wpd = new Array<number>(n).fill(0);
  const index = Array.from({ length: n }, (_, j) => j);
  const hdiag = new Array<number>(n).fill(0);
  const grad = new Array<number>(n).fill(0);
  const xjnegSum = new Array<number>(n).fill(0);
  const xTd = new Float64Array(l);
  const expWTx = new Float64Array(l);
  const expWTxNew = new Float64Array(l);
  const tau = new Float64Array(l);
  const D = new Float64Array(l);
  let wNorm = 0;

  for (let j = 0; j < n; j++) {
    for (let i = 0; i < l; i++) {
      const v = col[j][i];
      if (v === 0) continue; // liblinear stores X sparse
      expWTx[i] += w[j] * v;
      if (y[i] === -1) xjnegSum[j] += C[i] * v;
    }
  }
  for (let i = 0; i < l; i++) {
    expWTx[i] = Math.exp(expWTx[i]);
    const t = 1 / (1 + expWTx[i]);
    tau[i] = C[i] * t;
    D[i] = C[i] * expWTx[i] * t * t;
  }

  for (let newtonIter = 0; newtonIter < MAX_NEWTON_ITER; newtonIter++) {
    let gmaxNew = 0;
    let gnorm1New = 0;
    let activeSize = n;
    for (let s = 0; s < activeSize; s++) {
      const j = index[s];
      hdiag[j] = nu;
      let tmp = 0;
      for (let i = 0; i < l; i++) {
        const v = col[j][i];
        if (v === 0) continue;
        hdiag[j] += v * v * D[i];
        tmp += v * tau[i];
      }
      grad[j] = -tmp + xjnegSum[j];
      const gp = grad[j] + 1;
      const gn = grad[j] - 1;
      let violation = 0;
      if (w[j] === 0) {
        if (gp < 0) violation = -gp;
        else if (gn > 0) violation = gn;
        else if (gp > gmaxOld / l && gn < -gmaxOld / l) {
          activeSize--;
          swap(index, s, activeSize);
          s--;
          continue;
        }
      } else violation = w[j] > 0 ? Math.abs(gp) : Math.abs(gn);
      gmaxNew = Math.max(gmaxNew, violation);
      gnorm1New += violation;
    }
    if (newtonIter === 0) gnorm1Init = gnorm1New;
    if (gnorm1New <= eps * gnorm1Init || qpNoChange >= 10) break;
    qpNoChange++;

    let iter = 0;
    let qpGmaxOld = Infinity;
    let qpActiveSize = activeSize;
    xTd.fill(0);
    while (iter < maxIter) {
      let qpGmaxNew = 0;
      let qpGnorm1New = 0;
      for (let j = 0; j < qpActiveSize; j++) swap(index, j + rng.boundedInt(qpActiveSize - j), j);
      for (let s = 0; s < qpActiveSize; s++) {
        const j = index[s];
        const H = hdiag[j];
        let G = grad[j] + (wpd[j] - w[j]) * nu;
        for (let i = 0; i < l; i++) {
          const v = col[j][i];
          if (v !== 0) G += v * D[i] * xTd[i];
        }
        const gp = G + 1;
        const gn = G - 1;
        let violation = 0;
        if (wpd[j] === 0) {
          if (gp < 0) violation = -gp;
          else if (gn > 0) violation = gn;
          else if (gp > qpGmaxOld / l && gn < -qpGmaxOld / l) {
            qpActiveSize--;
            swap(index, s, qpActiveSize);
            s--;
            continue;
          }
        } else violation = wpd[j] > 0 ? Math.abs(gp) : Math.abs(gn);

        let z = gp < H * wpd[j] ? -gp / H : gn > H * wpd[j] ? -gn / H : -wpd[j];
        if (Math.abs(z) < 1e-12) continue;
        z = Math.min(Math.max(z, -10), 10);
        qpNoChange = 0;
        qpGmaxNew = Math.max(qpGmaxNew, violation);
        qpGnorm1New += violation;
        wpd[j] += z;
        for (let i = 0; i < l; i++) {
          const v = col[j][i];
          if (v !== 0) xTd[i] += v * z;
        }
      }
      iter++;
      if (qpGnorm1New <= innerEps * gnorm1Init) {
        if (qpActiveSize === activeSize) break;
        qpActiveSize = activeSize; // reactivate the shrunk coordinates and check them again
        qpGmaxOld = Infinity;
        continue;
      }
      qpGmaxOld = qpGmaxNew;
    }

    let delta = 0;
    let wNormNew = 0;
    for (let j = 0; j < n; j++) {
      delta += grad[j] * (wpd[j] - w[j]);
      if (wpd[j] !== 0) wNormNew += Math.abs(wpd[j]);
    }
    delta += wNormNew - wNorm;
    let negsumXTd = 0;
    for (let i = 0; i < l; i++) if (y[i] === -1) negsumXTd += C[i] * xTd[i];

    let numLinesearch = 0;
    for (; numLinesearch < maxLinesearch; numLinesearch++) {
      let cond = wNormNew - wNorm + negsumXTd - sigma * delta;
      for (let i = 0; i < l; i++) {
        const expXTd = Math.exp(xTd[i]);
        expWTxNew[i] = expWTx[i] * expXTd;
        cond += C[i] * Math.log((1 + expWTxNew[i]) / (expXTd + expWTxNew[i]));
      }
      if (cond <= 0) {
        wNorm = wNormNew;
        for (let j = 0; j < n; j++) w[j] = wpd[j];
        for (let i = 0; i < l; i++) {
          expWTx[i] = expWTxNew[i];
          const t = 1 / (1 + expWTx[i]);
          tau[i] = C[i] * t;
          D[i] = C[i] * expWTx[i] * t * t;
        }
        break;
      }
      wNormNew = 0;
      for (let j = 0; j < n; j++) {
        wpd[j] = (w[j] + wpd[j]) * 0.5;
        if (wpd[j] !== 0) wNormNew += Math.abs(wpd[j]);
      }
      delta *= 0.5;
      negsumXTd *= 0.5;
      for (let i = 0; i < l; i++) xTd[i] *= 0.5;
    }
    if (numLinesearch >= maxLinesearch) {
      expWTx.fill(0);
      for (let j = 0; j < n; j++) {
        if (w[j] === 0) continue;
        for (let i = 0; i < l; i++) if (col[j][i] !== 0) expWTx[i] += w[j] * col[j][i];
      }
      for (let i = 0; i < l; i++) expWTx[i] = Math.exp(expWTx[i]);
    }
    if (iter === 1) innerEps *= 0.25;
    gmaxOld = gmaxNew;
  }
  return w;
}

/** P(label 1) = logistic(x·β), as `predict_proba(X)[:, 1]`. */
export function predictProba(x: readonly number[], beta: readonly number[]): number {
  let z = 0;
  for (let j = 0; j < beta.length; j++) z += x[j] * beta[j];
  return 1 / (1 + Math.exp(-z));
}

function swap(a: number[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
