// Slot accounting. A slot is only ever held by a lease, and a lease ends in exactly one of three
// ways: released by its client, its connection closed (the client died, even by SIGKILL), or it
// expired because the client stopped renewing. The daemon is single-threaded, so grant and
// release are atomic by construction; the invariant 0 ≤ used ≤ total_slots is asserted anyway.
// A lease also uses its worker's copy of the project: see copies.ts.
import type { Fleet, WorkerState } from "./fleet.ts";
import { newId } from "./ids.ts";

export interface LeaseRecord {
  id: string;
  workerId: string;
  projectRoot: string;
  jobId: string;
  connId: number;
  grantedAt: number;
  expiresAt: number;
}

export class SlotInvariantError extends Error {
  override name = "SlotInvariantError";
}

export class Leases {
  private readonly byId = new Map<string, LeaseRecord>();

  constructor(
    private readonly fleet: Fleet,
    public ttlMs: number,
  ) {}

  grant(st: WorkerState, jobId: string, projectRoot: string, connId: number, now = Date.now()): LeaseRecord {
    if (st.used >= st.config.total_slots) {
      throw new SlotInvariantError(
        `${st.config.id}: grant with ${st.used}/${st.config.total_slots} slots used`,
      );
    }
    st.used++;
    const lease: LeaseRecord = {
      id: newId("l"),
      workerId: st.config.id,
      projectRoot,
      jobId,
      connId,
      grantedAt: now,
      expiresAt: now + this.ttlMs,
    };
    this.byId.set(lease.id, lease);
    return lease;
  }

  get(id: string): LeaseRecord | undefined {
    return this.byId.get(id);
  }

  renew(id: string, now = Date.now()): LeaseRecord | undefined {
    const lease = this.byId.get(id);
    if (lease) lease.expiresAt = now + this.ttlMs;
    return lease;
  }

  /** Frees the slot; undefined when the lease had already ended (released twice, expired). */
  end(id: string): LeaseRecord | undefined {
    const lease = this.byId.get(id);
    if (!lease) return undefined;
    this.byId.delete(id);
    const st = this.fleet.getAny(lease.workerId);
    if (st) {
      st.used--;
      if (st.used < 0) {
        st.used = 0;
        throw new SlotInvariantError(`${lease.workerId}: slot count went negative`);
      }
      this.fleet.settle(lease.workerId);
    }
    return lease;
  }

  ofConnection(connId: number): LeaseRecord[] {
    return [...this.byId.values()].filter((l) => l.connId === connId);
  }

  expired(now = Date.now()): LeaseRecord[] {
    return [...this.byId.values()].filter((l) => l.expiresAt <= now);
  }

  all(): LeaseRecord[] {
    return [...this.byId.values()];
  }
}
