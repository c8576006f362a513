/** Network input batches from 8-bit RGB chips: NHWC float32, (value - channel mean) / divisor. */

/** `chips`: size x size x 3 bytes each. */
export function normalisedBatch(chips: readonly Uint8Array[], size: number, mean: readonly [number, number, number], divisor: number): Float32Array {
  const pixels = new Float32Array(chips.length * size * size * 3);
  chips.forEach((chip, i) => {
    if (chip.length !== size * size * 3) throw new Error(`chip ${i} has ${chip.length} bytes, expected ${size * size * 3}`);
    const base = i * size * size * 3;
    for (let j = 0; j < chip.length; j += 3) {
      pixels[base + j] = (chip[j]! - mean[0]) / divisor;
      pixels[base + j + 1] = (chip[j + 1]! - mean[1]) / divisor;
      pixels[base + j + 2] = (chip[j + 2]! - mean[2]) / divisor;
    }
  });
  return pixels;
}
