export {
  analyzeLengths,
  distribution,
  lengthsOf,
  type ArmLengths,
  type Distribution,
  type LengthsResult,
} from "./lengths.js";
export { rankResponses, type RankingOptions, type RankingResult } from "./ranking.js";
export {
  analyzeSimilarity,
  pearson,
  type SimilarityOptions,
  type SimilarityPoint,
  type SimilarityResult,
} from "./similarity.js";
