/** std::mt19937 and scikit-learn's `bounded_rand_int` (Lemire's bounded integers, newrand.h). */
export class Mt19937 {
  private readonly mt = new Uint32Array(624);
  private i = 624;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let k = 1; k < 624; k++) {
      const prev = this.mt[k - 1] ^ (this.mt[k - 1] >>> 30);
      this.mt[k] = (Math.imul(1812433253, prev) + k) >>> 0;
    }
  }

  next(): number {
    if (this.i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (this.mt[k] & 0x80000000) | (this.mt[(k + 1) % 624] & 0x7fffffff);
        this.mt[k] = this.mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.i = 0;
    }
    let y = this.mt[this.i++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  boundedInt(range: number): number {
    const r = BigInt(range >>> 0);
    let m = BigInt(this.next()) * r;
    let low = m & 0xffffffffn;
    if (low < r) {
      let t = (0x100000000n - r) & 0xffffffffn;
      if (t >= r) {
        t -= r;
        if (t >= r) t %= r;
      }
      while (low < t) {
        m = BigInt(this.next()) * r;
        low = m & 0xffffffffn;
      }
    }
    return Number(m >> 32n);
  }
}
