/** Tensor-free vector maths for comparing embeddings. */

/** Scales a vector to unit length (returns a new array). A zero vector is an error, not NaNs. */
export function l2Normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (!(norm > 0)) throw new Error('cannot normalise a zero vector');
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** Cosine similarity of two vectors (their dot product when both are unit length), in [-1, 1]. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`vector lengths differ: ${a.length} vs ${b.length}`);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (!(na > 0 && nb > 0)) throw new Error('cosine similarity of a zero vector');
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

export interface Decision {
  similarity: number;
  distance: number;
  threshold: number;
  match: boolean;
}

/** Same person when the similarity reaches the threshold. */
export function decide(similarity: number, threshold: number): Decision {
  return { similarity, distance: 1 - similarity, threshold, match: similarity >= threshold };
}
