import { InvalidInputError } from '@platform/domain';

type Scores = Float32Array | Float64Array | readonly number[];

/**
 * Area under the ROC curve, exactly: the Mann-Whitney U statistic from ranks, with tied scores
 * sharing their average rank (a tie between a positive and a negative counts one half).
 * O(n log n). Labels are 1 (positive) or 0.
 */
export function auc(scores: Scores, labels: Uint8Array | readonly number[]): number {
  const n = scores.length;
  if (labels.length !== n) {
    throw new InvalidInputError(`auc needs one label per score: ${n} scores, ${labels.length} labels`);
  }
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) throw new InvalidInputError(`auc: score ${i} is NaN`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new InvalidInputError(`auc: label ${i} is ${labels[i]}, not 0 or 1`);
  }
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    // Ranks start..end-1 (0-based) are tied: each gets their average, 1-based.
    const averageRank = (start + end + 1) / 2;
    for (let k = start; k < end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    throw new InvalidInputError(`auc needs both classes: ${positives} positive and ${negatives} negative labels`);
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
