// What can go wrong talking to rchd, as named errors. The selector turns every one of them into
// a "local" selection; the operator commands turn them into a message.
import type { ErrorCode } from "../protocol/responses.ts";

export class DaemonUnavailableError extends Error {
  override name = "DaemonUnavailableError";
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
