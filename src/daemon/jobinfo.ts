// How a job reads in history, status and the log. Pure functions of the job's state.
import type { JobOutcomeMsg, JobSpec } from "../protocol/requests.ts";
import type { JobInfo } from "../protocol/status.ts";
import { shJoin } from "../shell/quote.ts";
import type { Job } from "./jobs.ts";
import type { LeaseRecord } from "./leases.ts";

export function jobInfo(job: Job, lease: LeaseRecord | undefined, outcome?: JobOutcomeMsg): JobInfo {
  const info: JobInfo = {
    jobId: job.id,
    project: job.spec.projectRoot,
    kind: job.spec.kind,
    command: shJoin(job.spec.argv),
    startedAt: job.startedAt,
    state: job.state === "waiting" || job.state === "running" ? job.state : "abandoned",
    followers: job.attached,
  };
  const worker = lease?.workerId ?? job.workerId;
  if (worker) info.worker = worker;
  if (job.state === "done" || job.state === "abandoned") info.durationMs = Date.now() - job.startedAt;
  if (outcome?.kind === "remote") {
    info.state = "remote";
    info.exitCode = outcome.exitCode;
    info.durationMs = outcome.remoteMs;
  } else if (outcome?.kind === "local") {
    info.state = "local";
    info.exitCode = outcome.exitCode;
    info.durationMs = outcome.localMs;
    info.reason = outcome.reason;
  } else if (outcome?.kind === "failed-before-start") {
    info.state = "failed";
    info.reason = outcome.reason;
  } else if (outcome?.kind === "cancelled") {
    info.state = "abandoned";
    info.reason = `cancelled (signal ${outcome.signal})`;
  }
  return info;
}

/** "project: command" for a log line, the command cut at 80 characters. */
export function describe(spec: JobSpec): string {
  const cmd = shJoin(spec.argv);
  return `${spec.projectRoot}: ${cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd}`;
}

export function describeOutcome(o: JobOutcomeMsg): string {
  if (o.kind === "remote") return `exit ${o.exitCode} in ${Math.round(o.remoteMs)} ms`;
  if (o.kind === "local") return `ran locally (exit ${o.exitCode}): ${o.reason}`;
  if (o.kind === "cancelled") return `cancelled (signal ${o.signal})`;
  if (o.kind === "worker-full") return `worker full (${o.held} slot(s) held); asking again`;
  return `failed before start: ${o.reason}`;
}
