/**
 * Scratch memory for one classification. A typed array longer than a few dozen bytes lives outside V8's
 * heap and costs microseconds to create and to collect: more than the arithmetic it holds, and a metric's
 * verdict needs about twenty of them. Classification is synchronous and no typed array leaves it, so one
 * set of buffers serves every call: `reset()` when a classification starts, then `f64`/`i32` hand out
 * views filled with the value asked for. A view handed out stays valid until the next `reset()`.
 */
export class Scratch {
  private f64Buffer = new Float64Array(4096);
  private f64Used = 0;
  private i32Buffer = new Int32Array(1024);
  private i32Used = 0;

  reset(): void {
    this.f64Used = 0;
    this.i32Used = 0;
  }

  f64(length: number, fill = 0): Float64Array {
    if (this.f64Used + length > this.f64Buffer.length) {
      // Views already handed out keep the old buffer alive; the new one serves what follows.
      this.f64Buffer = new Float64Array(Math.max(2 * this.f64Buffer.length, length));
      this.f64Used = 0;
    }
    const view = this.f64Buffer.subarray(this.f64Used, this.f64Used + length);
    this.f64Used += length;
    return view.fill(fill);
  }

  i32(length: number, fill = 0): Int32Array {
    if (this.i32Used + length > this.i32Buffer.length) {
      this.i32Buffer = new Int32Array(Math.max(2 * this.i32Buffer.length, length));
      this.i32Used = 0;
    }
    const view = this.i32Buffer.subarray(this.i32Used, this.i32Used + length);
    this.i32Used += length;
    return view.fill(fill);
  }
}
