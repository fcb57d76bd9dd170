/**
 * A small seeded pseudo-random generator (mulberry32) so seeds and faults repeat exactly for one seed.
 */
export class Prng {
    private state: number;

    /** Starts the sequence at `seed` (any integer). */
    constructor(seed: number) {
        this.state = seed >>> 0;
    }

    /** The next value in [0, 1). */
    next(): number {
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }

    /** An integer in [min, max]. */
    int(min: number, max: number): number {
        return min + Math.floor(this.next() * (max - min + 1));
    }

    /** True with probability `p`. */
    chance(p: number): boolean {
        return this.next() < p;
    }

    /** One element of a non-empty array. */
    pick<T>(items: readonly T[]): T {
        return items[Math.floor(this.next() * items.length)]!;
    }

    /** A sys_id-shaped value (32 lowercase hex) drawn from this sequence. */
    sysId(): string {
        // Built in a buffer so the result is one flat string: concatenated strings are slow to hash and compare.
        const b = Buffer.allocUnsafe(16);
        for (let i = 0; i < 4; i++) b.writeUInt32BE((this.next() * 4294967296) >>> 0, i * 4);
        return b.toString("hex");
    }
}
