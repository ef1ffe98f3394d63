/** Numbers per block: 2 MB of doubles, enough for thousands of candidate lists. */
const BLOCK = 1 << 18;

/**
 * Typed arrays carved out of large blocks, for the many small, long-lived arrays of one run (a
 * candidate list per distinct set of topics and interests). A typed array of its own costs an
 * allocation outside the JavaScript heap and work for the garbage collector; a view of a block
 * costs neither. Nothing is freed before the arena itself.
 */
export class Arena {
  private doubles = new Float64Array(0);
  private doublesUsed = 0;
  private ints = new Int32Array(0);
  private intsUsed = 0;

  float64(length: number): Float64Array {
    if (this.doublesUsed + length > this.doubles.length) {
      this.doubles = new Float64Array(Math.max(BLOCK, length));
      this.doublesUsed = 0;
    }
    this.doublesUsed += length;
    return this.doubles.subarray(this.doublesUsed - length, this.doublesUsed);
  }

  int32(length: number): Int32Array {
    if (this.intsUsed + length > this.ints.length) {
      this.ints = new Int32Array(Math.max(BLOCK, length));
      this.intsUsed = 0;
    }
    this.intsUsed += length;
    return this.ints.subarray(this.intsUsed - length, this.intsUsed);
  }
}
