// Rates and CPU seconds of the repeated transfers of one bench variant
// (a direction of Assent, or a reference), with the per-process CPU split.
import { mbps, spread } from './stats';

const GIB = 2 ** 30;

export class TransferFigures {
  /** Bytes per second of each repetition. */
  readonly rates: number[] = [];
  private readonly cpu: number[] = [];
  private readonly each: number[][] = [];

  /**
   * `bytes` is the size of one transfer; `names` label the processes of the
   * variant's CpuMeter (in its order), for the per-process split.
   */
  constructor(
    private readonly bytes: number,
    private readonly names: readonly string[] = [],
  ) {}

  /** One repetition: its rate, and the CPU seconds of the processes (in total and each). */
  add(bytesPerSecond: number, cpu: number | undefined, each?: number[] | undefined): void {
    this.rates.push(bytesPerSecond);
    if (cpu !== undefined) this.cpu.push(cpu);
    if (each) this.each.push(each);
  }

  /** One repetition as CpuMeter.measure returns it (`result`: the rate). */
  addMeasured(measured: {
    result: number;
    cpu: number | undefined;
    each?: number[] | undefined;
  }): void {
    this.add(measured.result, measured.cpu, measured.each);
  }

  /** The median rate. */
  rate(): number {
    return spread(this.rates).p50;
  }

  /** Median CPU seconds per GiB, when /proc could be read every time. */
  cpuPerGiB(): number | undefined {
    if (this.cpu.length === 0 || this.cpu.length !== this.rates.length) return undefined;
    return spread(this.cpu).p50 / (this.bytes / GIB);
  }

  /** `3.25 s/GiB (engineer 1.10, relay 1.06, agent 1.13)`, or `n/a`. */
  cpuLine(): string {
    const perGiB = this.cpuPerGiB();
    if (perGiB === undefined) return 'n/a';
    if (this.names.length === 0 || this.each.length !== this.rates.length)
      return `${perGiB.toFixed(2)} s/GiB`;
    const split = this.names.map(
      (name, i) =>
        `${name} ${(spread(this.each.map((e) => e[i]!)).p50 / (this.bytes / GIB)).toFixed(2)}`,
    );
    return `${perGiB.toFixed(2)} s/GiB (${split.join(', ')})`;
  }

  /** The median rate with its range, and the CPU line. */
  line(): string {
    const s = spread(this.rates);
    return `${mbps(s.p50).padStart(12)} (${mbps(s.min)}–${mbps(s.max)})  CPU ${this.cpuLine()}`;
  }
}
