import { InvalidInputError } from './platform-error';

/** Seeds are unsigned 32-bit integers, so a seed printed in a report reproduces the run exactly. */
export function assertSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new InvalidInputError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return seed;
}

/** MurmurHash3's finalizer: every input bit flips about half of the output bits. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The seed of stream `index` under `seed`. Giving each entity its own stream makes an entity's
 * values independent of chunk size and of where generation starts, so data can be generated in
 * any slices (or in parallel) and stay identical. `index` is below 2^32.
 */
export function deriveSeed(seed: number, index: number): number {
  return fmix32(fmix32(seed ^ 0x9e37_79b9) ^ fmix32(index + 0x632b_e5ab));
}

/**
 * mulberry32: a tiny 32-bit PRNG, plenty for synthetic data, and reproducible everywhere (no
 * Math.random). The distributions draw a fixed number of uniforms each (except poisson, which
 * draws until it stops), so a stream's meaning is fixed by its sequence of calls.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = assertSeed(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b_79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Box-Muller, one normal per two uniforms (no cached spare: simpler to reason about). */
  normal(mean = 0, sd = 1): number {
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    return mean + sd * radius * Math.cos(2 * Math.PI * this.next());
  }

  logNormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Knuth's multiplication method: exact, and fast for the small rates used here. */
  poisson(rate: number): number {
    const limit = Math.exp(-rate);
    let count = -1;
    let product = 1;
    do {
      count++;
      product *= this.next();
    } while (product > limit);
    return count;
  }

  /** An index drawn with probability proportional to `weights[index]`. */
  pick(weights: readonly number[]): number {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let remaining = this.next() * total;
    for (let index = 0; index < weights.length - 1; index++) {
      remaining -= weights[index]!;
      if (remaining < 0) return index;
    }
    return weights.length - 1;
  }
}
