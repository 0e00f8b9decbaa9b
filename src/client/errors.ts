// What can go wrong talking to rchd, as named errors. The selector turns every one of them into
// a "local" selection; the operator commands turn them into a message.
import type { ErrorCode } from "../protocol/responses.ts";

export class DaemonUnavailableError extends Error {
  override name = "DaemonUnavailableError";
}
/** socket(2)/connect(2) failed with EPERM: a sandbox forbids sockets. Final for this process: no
 * retry, no daemon start (a daemon started from inside the sandbox could not listen either). */
export class SocketForbiddenError extends DaemonUnavailableError {
  override name = "SocketForbiddenError";
}
export class RequestTimeoutError extends Error {
  override name = "RequestTimeoutError";
}
export class ProtocolError extends Error {
  override name = "ProtocolError";
}
/** The daemon answered with an error reply. */
export class DaemonError extends Error {
  override name = "DaemonError";
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
