/** Frames per second over a sliding window of time (the last two frames at least, so that below 1 FPS it still says how slow). */
export class FpsMeter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs = 1000) {}

  tick(now = performance.now()): void {
    this.times.push(now);
    while (this.times.length > 2 && now - this.times[0]! > this.windowMs) this.times.shift();
  }

  get fps(): number {
    if (this.times.length < 2) return 0;
    return ((this.times.length - 1) * 1000) / (this.times.at(-1)! - this.times[0]!);
  }
}
