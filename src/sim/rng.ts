/**
 * A small seeded pseudo-random generator for drivers (simulations, demos,
 * property-test fixtures). The engine never draws random numbers itself
 * (DESIGN §1); a driver that needs them creates an `Rng` from a seed, so every
 * run with the same seed produces the same commands.
 *
 * Algorithm: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit
 * state, passes PractRand), seeded through splitmix32 so neighbouring seeds give
 * unrelated streams. The core uses only 32-bit integer operations (`Math.imul`,
 * shifts), so the stream is bit-identical on every JavaScript engine. The float
 * helpers (`logUniform`) go through `Math.log`/`Math.exp`, which V8 implements
 * with a portable fdlibm port, so they are reproducible across platforms for
 * a given Node major; callers turn the floats into decimal strings at once and
 * never use them as money.
 *
 * @example
 * const rng = new Rng(42);
 * rng.uniform(2, 50);          // 17.3…, the same on every run
 * rng.pick(['long', 'short']); // 'short'
 */

/** splitmix32: one step of a 32-bit mixing function, used to expand a seed. */
function splitmix32(state: number): [next: number, out: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any integer (taken modulo 2^32) */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    let s = seed | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      words.push(out);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    // Discard the first outputs, as the sfc32 reference does, to mix the state.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Log-uniform float in [lo, hi) (lo > 0): every factor of e is equally likely. */
  logUniform(lo: number, hi: number): number {
    if (!(lo > 0 && hi >= lo)) throw new RangeError(`logUniform needs 0 < lo <= hi, got ${lo}, ${hi}`);
    return Math.exp(this.uniform(Math.log(lo), Math.log(hi)));
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32)
      throw new RangeError(`int(n) needs 1 <= n <= 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(items.length)]!;
  }
}
