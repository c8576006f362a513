/** Network input batches from 8-bit RGB chips: NHWC float32, (value - channel mean) / divisor. */

/**
 * `chips`: size x size x 3 bytes each. Each channel's 256 possible results are computed once, as float32
 * like every stored value, and looked up per pixel. Writes into `out` when given (at least the batch's
 * length) and returns the part written.
 */
export function normalisedBatch(
  chips: readonly Uint8Array[],
  size: number,
  mean: readonly [number, number, number],
  divisor: number,
  out: Float32Array = new Float32Array(chips.length * size * size * 3),
): Float32Array {
  const table = new Float32Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    table[v] = (v - mean[0]) / divisor;
    table[256 + v] = (v - mean[1]) / divisor;
    table[512 + v] = (v - mean[2]) / divisor;
  }
  const pixels = out.subarray(0, chips.length * size * size * 3);
  chips.forEach((chip, i) => {
    if (chip.length !== size * size * 3) throw new Error(`chip ${i} has ${chip.length} bytes, expected ${size * size * 3}`);
    const base = i * size * size * 3;
    for (let j = 0; j < chip.length; j += 3) {
      pixels[base + j] = table[chip[j]!]!;
      pixels[base + j + 1] = table[256 + chip[j + 1]!]!;
      pixels[base + j + 2] = table[512 + chip[j + 2]!]!;
    }
  });
  return pixels;
}
