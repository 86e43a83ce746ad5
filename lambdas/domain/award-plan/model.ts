// The award-plan MIP, built as sparse column-wise arrays for HiGHS.
//
// Per proposal p with request R[l] on each of its lines l (one per resource), minimum viable
// fraction f, and score s; quantities are fractions of the request, t[l] = x[l] / R[l]:
//   y[p]   binary        1 if p is funded
//   z[l]   in [0, 1-f]   what line l gets above its minimum, so t[l] = f*y[p] + z[l]
//   link[l]:  z[l] - (1-f)*y[p] <= 0                 nothing above the minimum unless funded
//   cap[k]:   sum_l R[l] t[l] <= C[k]                 per resource (lines on k)
//   floor[T]: sum_{p in T} sum_l R[l] t[l] >= E[T]    effective floor of org type T
//   maximise  sum_p s[p] sum_l R[l] t[l]
// so every funded line gets between f*R and R and an unfunded proposal gets nothing: the
// all-or-nothing minimum costs one binary per proposal and one row per line.
//
// Lines whose award is a plain interval need no binary: those of proposals with f = 0 (any amount
// is viable), of proposals the core method has fixed as funded (t in [f,1]), and every line in the
// LP relaxation (t in [0,1]). Such lines are interchangeable when they share score, resource and
// org type, so they are merged into ONE column whose bounds are the sums of theirs (exact: a sum of
// intervals is an interval, and the lines have the same cost and rows per credit); awardsFromColumns
// splits the merged amount back, deterministically. A proposal fixed as unfunded, or one that can
// never fit, is left out. Rows are scaled by S = total capacity / 1000 so coefficients sit near 1.
import type { ModelData } from 'highs';
import type { Highs } from 'highs';
import type { CanonicalProblem } from './problem';

export const FREE = 0;
export const FIXED_IN = 1;
export const FIXED_OUT = 2;

export const COL_Y = 0;
export const COL_Z = 1;
export const COL_GROUP = 2;
export const COL_SHORTFALL = 3;

export type ObjectiveKind = 'score' | 'credits' | 'shortfall';

export interface BuildSpec {
  /** FREE / FIXED_IN / FIXED_OUT per proposal. */
  state: Uint8Array;
  /** Effective floor per org type in credits; 0 means no floor row. */
  floorRhs: Float64Array;
  /** score: the plan; credits: most credits (attainable floors); shortfall: least total floor shortfall. */
  objective: ObjectiveKind;
  /** The LP relaxation: every included line continuous in [0, R], no binaries, no minimum. */
  lpRelaxation?: boolean;
}

export interface BuiltModel {
  data: ModelData;
  scale: number;
  numCols: number;
  numRows: number;
  colKind: Uint8Array;
  /** Proposal of a y column, line of a z column, group of a merged column, org type of a shortfall column. */
  colRef: Int32Array;
  /** y column per proposal, -1 when none. */
  yCol: Int32Array;
  /** z or merged column per line, -1 when none. */
  lineCol: Int32Array;
  /** Merged columns' member lines: groupLines[groupStart[g] .. groupStart[g+1]-1], canonical order. */
  groupStart: Int32Array;
  groupLines: Int32Array;
  /** Lower bound in credits of each member line in its merged column (f*R, or 0). */
  lineLower: Float64Array;
  /** Row of each org type's floor, -1 when none. */
  floorRow: Int32Array;
  numKeys: number;
  /** Whether any column is binary (else HiGHS solves an LP and its duals are direct). */
  isMip: boolean;
}

export function problemScale(problem: CanonicalProblem): number {
  return problem.totalCapacity > 0 ? problem.totalCapacity / 1000 : 1;
}

export function buildModel(highs: Highs, problem: CanonicalProblem, spec: BuildSpec): BuiltModel {
  const { n, lineStart, lineKey, lineReq, score, f, org } = problem;
  const K = problem.keys.length;
  const S = problemScale(problem);
  const inf = highs.infinity;
  const T = spec.floorRhs.length;

  const floorRow = new Int32Array(T).fill(-1);
  let numRows = K;
  for (let t = 0; t < T; t++) if (spec.floorRhs[t] > 0) floorRow[t] = numRows++;
  const firstLinkRow = numRows;

  // Pass 1: which lines are merged (and into which group), and how big everything is.
  const lineLower = new Float64Array(lineReq.length);
  const lineGroup = new Int32Array(lineReq.length).fill(-1);
  const groupIndex = new Map<string, number>();
  const groupCount: number[] = [];
  let numCols = 0;
  let nnz = 0;
  let links = 0;
  for (let p = 0; p < n; p++) {
    const st = spec.state[p];
    const a = lineStart[p];
    const b = lineStart[p + 1];
    if (st === FIXED_OUT || a === b) continue;
    if (spec.lpRelaxation || st === FIXED_IN || f[p] === 0) {
      for (let l = a; l < b; l++) {
        const key = `${org[p]}|${lineKey[l]}|${score[p]}`;
        let g = groupIndex.get(key);
        if (g === undefined) {
          g = groupCount.length;
          groupIndex.set(key, g);
          groupCount.push(0);
        }
        groupCount[g]++;
        lineGroup[l] = g;
        lineLower[l] = spec.lpRelaxation ? 0 : st === FIXED_IN ? f[p] * lineReq[l] : 0;
      }
      continue;
    }
    const fl = floorRow[org[p]] >= 0 ? 1 : 0;
    const m = b - a;
    numCols += 1;
    nnz += m + fl;
    if (f[p] < 1) {
      numCols += m;
      nnz += m * (2 + fl) + m;
      links += m;
    }
  }
  const numGroups = groupCount.length;
  numCols += numGroups;
  for (let g = 0; g < numGroups; g++) nnz += 1; // cap row
  const groupStart = new Int32Array(numGroups + 1);
  for (let g = 0; g < numGroups; g++) groupStart[g + 1] = groupStart[g] + groupCount[g];
  const groupLines = new Int32Array(groupStart[numGroups]);
  const groupFill = groupStart.slice(0, numGroups);
  const groupOrg = new Int32Array(numGroups);
  const groupKey = new Int32Array(numGroups);
  const groupScore = new Float64Array(numGroups);
  const groupLo = new Float64Array(numGroups);
  const groupHi = new Float64Array(numGroups);
  for (let p = 0; p < n; p++) {
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      const g = lineGroup[l];
      if (g < 0) continue;
      groupLines[groupFill[g]++] = l;
      groupOrg[g] = org[p];
      groupKey[g] = lineKey[l];
      groupScore[g] = score[p];
      groupLo[g] += lineLower[l];
      groupHi[g] += lineReq[l];
    }
  }
  for (let g = 0; g < numGroups; g++) if (floorRow[groupOrg[g]] >= 0) nnz++;
  if (spec.objective === 'shortfall') for (let t = 0; t < T; t++) if (floorRow[t] >= 0) numCols++, nnz++;
  numRows += links;

  const colCost = new Float64Array(numCols);
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols);
  const integrality = new Int32Array(numCols);
  const starts = new Int32Array(numCols + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  const colKind = new Uint8Array(numCols);
  const colRef = new Int32Array(numCols);
  const yCol = new Int32Array(n).fill(-1);
  const lineCol = new Int32Array(lineReq.length).fill(-1);
  const rowLower = new Float64Array(numRows);
  const rowUpper = new Float64Array(numRows);

  const weight = (s: number) => (spec.objective === 'score' ? s : spec.objective === 'credits' ? 1 : 0);
  let c = 0;
  let e = 0;
  let link = firstLinkRow;
  const push = (row: number, v: number) => {
    indices[e] = row;
    values[e] = v;
    e++;
  };

  // Binary proposals: y then its z columns.
  for (let p = 0; p < n; p++) {
    const a = lineStart[p];
    const b = lineStart[p + 1];
    if (a === b || spec.state[p] !== FREE || lineGroup[a] >= 0) continue;
    const w = weight(score[p]);
    const fr = floorRow[org[p]];
    const fp = f[p];
    let sumR = 0;
    starts[c] = e;
    for (let l = a; l < b; l++) {
      const r = lineReq[l] / S;
      sumR += r;
      push(lineKey[l], fp * r);
    }
    if (fr >= 0) push(fr, fp * sumR);
    if (fp < 1) for (let l = a; l < b; l++) push(link + (l - a), -(1 - fp));
    colCost[c] = w * fp * sumR;
    colUpper[c] = 1;
    integrality[c] = 1;
    colKind[c] = COL_Y;
    colRef[c] = p;
    yCol[p] = c++;
    if (fp < 1) {
      for (let l = a; l < b; l++) {
        const r = lineReq[l] / S;
        starts[c] = e;
        push(lineKey[l], r);
        if (fr >= 0) push(fr, r);
        rowLower[link] = -inf;
        rowUpper[link] = 0;
        push(link++, 1);
        colCost[c] = w * r;
        colUpper[c] = 1 - fp;
        colKind[c] = COL_Z;
        colRef[c] = l;
        lineCol[l] = c++;
      }
    }
  }
  // Merged interval columns, in credits / S.
  for (let g = 0; g < numGroups; g++) {
    starts[c] = e;
    push(groupKey[g], 1);
    if (floorRow[groupOrg[g]] >= 0) push(floorRow[groupOrg[g]], 1);
    colCost[c] = weight(groupScore[g]);
    colLower[c] = groupLo[g] / S;
    colUpper[c] = groupHi[g] / S;
    colKind[c] = COL_GROUP;
    colRef[c] = g;
    for (let i = groupStart[g]; i < groupStart[g + 1]; i++) lineCol[groupLines[i]] = c;
    c++;
  }
  for (let k = 0; k < K; k++) {
    rowLower[k] = -inf;
    rowUpper[k] = problem.capacity[k] / S;
  }
  for (let t = 0; t < T; t++) {
    const row = floorRow[t];
    if (row < 0) continue;
    // A hair below the figure, so a floor equal to an attainable maximum computed by an earlier
    // solve is not lost to rounding.
    rowLower[row] = (spec.floorRhs[t] / S) * (1 - 1e-9);
    rowUpper[row] = inf;
    if (spec.objective === 'shortfall') {
      starts[c] = e;
      push(row, 1);
      colCost[c] = -1;
      colUpper[c] = spec.floorRhs[t] / S;
      colKind[c] = COL_SHORTFALL;
      colRef[c] = t;
      c++;
    }
  }
  starts[c] = e;

  const isMip = integrality.some((v) => v !== 0);
  const data: ModelData = {
    numCols,
    numRows,
    sense: highs.constants.objectiveSense.maximize,
    colCost,
    colLower,
    colUpper,
    rowLower,
    rowUpper,
    matrix: { format: 'csc', numRows, numCols, starts, indices, values },
    ...(isMip ? { integrality } : {}),
  };
  return { data, scale: S, numCols, numRows, colKind, colRef, yCol, lineCol, groupStart, groupLines, lineLower, floorRow, numKeys: K, isMip };
}

/** A solver start from awards per line, in credits (HiGHS checks it and ignores it if infeasible). */
export function startFromAwards(problem: CanonicalProblem, built: BuiltModel, awards: Float64Array): Float64Array {
  const S = built.scale;
  const col = new Float64Array(built.numCols);
  for (let c = 0; c < built.numCols; c++) {
    const ref = built.colRef[c];
    if (built.colKind[c] === COL_Y) {
      let any = false;
      for (let l = problem.lineStart[ref]; l < problem.lineStart[ref + 1]; l++) any ||= awards[l] > 0;
      col[c] = any ? 1 : 0;
    } else if (built.colKind[c] === COL_GROUP) {
      let sum = 0;
      for (let i = built.groupStart[ref]; i < built.groupStart[ref + 1]; i++) sum += awards[built.groupLines[i]];
      col[c] = sum / S;
    }
  }
  for (let c = 0; c < built.numCols; c++) {
    if (built.colKind[c] !== COL_Z) continue;
    const l = built.colRef[c];
    const p = problem.lineProposal[l];
    const y = col[built.yCol[p]];
    col[c] = Math.max(0, Math.min(1 - problem.f[p], awards[l] / problem.lineReq[l] - problem.f[p] * y));
  }
  return col;
}

/** Awards per line, in credits, from HiGHS column values. */
export function awardsFromColumns(problem: CanonicalProblem, built: BuiltModel, colValue: ArrayLike<number>): Float64Array {
  const { n, lineStart, lineReq, f } = problem;
  const S = built.scale;
  const awards = new Float64Array(lineReq.length);
  for (let p = 0; p < n; p++) {
    const yc = built.yCol[p];
    if (yc < 0) continue;
    const y = colValue[yc] > 0.5 ? 1 : 0;
    for (let l = lineStart[p]; l < lineStart[p + 1]; l++) {
      const lc = built.lineCol[l];
      const z = lc >= 0 && y === 1 ? clamp(colValue[lc], 0, 1 - f[p]) : 0;
      awards[l] = snap(lineReq[l] * (f[p] * y + z), lineReq[l], f[p] * lineReq[l]);
    }
  }
  // A merged column's amount: every member gets its lower bound, then the rest goes to members in
  // canonical (proposal id) order, each up to its request.
  for (let c = 0; c < built.numCols; c++) {
    if (built.colKind[c] !== COL_GROUP) continue;
    const g = built.colRef[c];
    const from = built.groupStart[g];
    const to = built.groupStart[g + 1];
    let total = 0;
    let lower = 0;
    for (let i = from; i < to; i++) (total += lineReq[built.groupLines[i]]), (lower += built.lineLower[built.groupLines[i]]);
    let rest = clamp(colValue[c] * S, lower, total) - lower;
    const tol = 1e-7 * Math.max(1, total);
    for (let i = from; i < to; i++) {
      const l = built.groupLines[i];
      const room = lineReq[l] - built.lineLower[l];
      let extra = Math.min(room, rest);
      if (room - extra <= tol) extra = room;
      rest = Math.max(0, rest - extra);
      awards[l] = snap(built.lineLower[l] + extra, lineReq[l], f[problem.lineProposal[l]] * lineReq[l]);
    }
  }
  return awards;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * Removes solver noise: a value within 1e-7 (relative) of the request, the minimum or zero becomes
 * exactly that; anything else is rounded to a millionth of a credit.
 */
export function snap(x: number, request: number, minimum: number): number {
  const tol = 1e-7 * Math.max(1, request);
  if (Math.abs(x - request) <= tol) return request;
  if (minimum > 0 && Math.abs(x - minimum) <= tol) return minimum;
  if (Math.abs(x) <= tol) return 0;
  return Math.round(x * 1e6) / 1e6;
}
