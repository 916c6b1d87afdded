/**
 * Failed-login throttling, per client address and per login name, shared by every door that takes
 * a password (POP3 USER/PASS and AUTH, SMTP AUTH on submission; IMAP LOGIN next).
 *
 * Each failure within `windowMs` makes the next failure answer later (base × 2^(n-1), capped), which
 * slows guessing without a lockout; after `maxFailures` failures the address (or the name) is refused
 * outright until the window passes, with [SYS/TEMP] so clients retry later instead of asking the user
 * for a new password. A success clears the address's and the name's record.
 */

/** Delays and limits; `windowMs` is how long a failure is remembered. */
export interface ThrottleOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  maxFailuresPerAddress: number;
  maxFailuresPerUser: number;
}

export const defaultThrottle: ThrottleOptions = {
  baseDelayMs: 500,
  maxDelayMs: 8000,
  windowMs: 15 * 60_000,
  maxFailuresPerAddress: 20,
  maxFailuresPerUser: 10,
};

interface FailureRecord {
  failures: number;
  since: number;
}

/**
 * In-memory failure records (a restart forgets them, which only helps a guesser for one window).
 * Contract: call `blocked` before checking a password, then `failed` or `succeeded` after.
 */
export class LoginThrottle {
  private readonly byAddress = new Map<string, FailureRecord>();
  private readonly byUser = new Map<string, FailureRecord>();

  constructor(
    private readonly opts: ThrottleOptions = defaultThrottle,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a login attempt from `address` for `login` is refused without checking the password. */
  blocked(address: string, login: string): boolean {
    const a = this.current(this.byAddress, address);
    const u = this.current(this.byUser, login.toLowerCase());
    return (a?.failures ?? 0) >= this.opts.maxFailuresPerAddress || (u?.failures ?? 0) >= this.opts.maxFailuresPerUser;
  }

  /** Records a failure and returns how long to wait before answering it. */
  failed(address: string, login: string): number {
    const a = this.bump(this.byAddress, address);
    const u = this.bump(this.byUser, login.toLowerCase());
    const n = Math.max(a, u);
    return Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (n - 1));
  }

  succeeded(address: string, login: string): void {
    this.byAddress.delete(address);
    this.byUser.delete(login.toLowerCase());
  }

  private current(map: Map<string, FailureRecord>, key: string): FailureRecord | undefined {
    const r = map.get(key);
    if (r && this.now() - r.since > this.opts.windowMs) {
      map.delete(key);
      return undefined;
    }
    return r;
  }

  private bump(map: Map<string, FailureRecord>, key: string): number {
    const r = this.current(map, key) ?? { failures: 0, since: this.now() };
    r.failures++;
    map.set(key, r);
    // Forget stale records now and then so a scan of many addresses cannot grow the maps forever.
    if (map.size > 10_000) for (const k of [...map.keys()]) this.current(map, k);
    return r.failures;
  }
}

/** The throttle a door uses: one it is given (shared by every door, so a guesser gets no more tries by changing protocol), or its own. */
export function throttleFrom(o: ThrottleOptions | LoginThrottle | undefined): LoginThrottle {
  return o instanceof LoginThrottle ? o : new LoginThrottle(o ?? defaultThrottle);
}
