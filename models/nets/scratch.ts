/**
 * A float32 buffer reused from one network input to the next. Crops, chips and pyramid images are
 * hundreds of kilobytes per image; allocated afresh each time, their garbage made V8 run a full
 * collection every few images (measured: ~1 ms per image on ONNX Runtime, paid in the next decode).
 * Runners consume their input during the call (TF.js copies it into a tensor, ONNX Runtime reads it in
 * the run), so the next call may overwrite it. Not shared between threads.
 */
export class ScratchBuffer {
  private buffer = new Float32Array(0);

  /** Larger requests get a fresh array: a one-off huge image should not stay allocated. */
  constructor(private readonly maxKept = 1 << 22) {}

  /** `length` floats, with stale contents: the caller writes every one. */
  take(length: number): Float32Array {
    if (length > this.maxKept) return new Float32Array(length);
    if (this.buffer.length < length) this.buffer = new Float32Array(length);
    return this.buffer.subarray(0, length);
  }
}
