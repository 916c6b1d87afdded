/**
 * Counts synchronous system calls slower than a limit, in a row. Code that makes quick calls
 * (opens, reads or writes served by the page cache) on the event loop's thread uses it to decide
 * when the disk, not the cache, is answering and the calls must go back to the thread pool.
 *
 * One slow call is not enough: on a busy machine a call served by the cache is now and then
 * preempted for longer than the limit (the POP3 benchmark at load 6 saw one in every session; the
 * collector benchmark saw one open(2) of 2-4 ms in every 5,000-message session, which sent the
 * whole session through the pool for nothing).
 */
export class SlowStreak {
  private slowInARow = 0;

  constructor(
    private readonly slowMs: number,
    private readonly inARow = 3,
  ) {}

  /** Records a call that started at `started` (performance.now()); true when it completes a streak. */
  slow(started: number): boolean {
    if (performance.now() - started <= this.slowMs) {
      this.slowInARow = 0;
      return false;
    }
    if (++this.slowInARow < this.inARow) return false;
    this.slowInARow = 0;
    return true;
  }
}
