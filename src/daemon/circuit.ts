// Circuit breaker per worker, fed by heartbeats. Pure state machine (time is passed in) so the
// transitions are testable without sleeping:
//   closed ──(threshold consecutive failures)──▶ open ──(cooldown elapsed)──▶ half-open
//   half-open ──(one success)──▶ closed        half-open ──(failure)──▶ open (cooldown restarts)
// Only a closed circuit receives jobs; the half-open trial is the next heartbeat, never a build.
import type { CircuitState } from "../protocol/status.ts";

export type CircuitEvent = { from: CircuitState; to: CircuitState } | undefined;

export class Circuit {
  state: CircuitState = "closed";
  consecutiveFailures = 0;
  openedAt = 0;

  constructor(
    public threshold: number,
    public cooldownMs: number,
  ) {}

  /** Moves open → half-open once the cool-down has passed. */
  tick(now: number): CircuitEvent {
    if (this.state === "open" && now - this.openedAt >= this.cooldownMs) return this.move("half-open");
    return undefined;
  }

  success(): CircuitEvent {
    this.consecutiveFailures = 0;
    return this.state === "closed" ? undefined : this.move("closed");
  }

  failure(now: number): CircuitEvent {
    this.consecutiveFailures++;
    if (
      this.state === "half-open" ||
      (this.state === "closed" && this.consecutiveFailures >= this.threshold)
    ) {
      this.openedAt = now;
      return this.move("open");
    }
    return undefined;
  }

  get isOpen(): boolean {
    return this.state === "open";
  }

  /** Time until an open circuit may be tried again (0 when not open). */
  remainingCooldown(now: number): number {
    return this.state === "open" ? Math.max(0, this.cooldownMs - (now - this.openedAt)) : 0;
  }

  private move(to: CircuitState): CircuitEvent {
    const from = this.state;
    this.state = to;
    return { from, to };
  }
}
