import type { IncomingMessage } from "node:http";

/** What reading a request body came to. */
export type BodyRead =
  | { kind: "body"; bytes: Buffer }
  | { kind: "too-large" }
  | { kind: "aborted" };

/**
 * Reads a request body, counting bytes as they arrive (Content-Length is a claim, and a chunked
 * body has none): past `maxBytes` it stops keeping them and resolves `too-large` at once, so
 * an oversized body is never held whole, whatever its framing.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        resolve({ kind: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve({ kind: "body", bytes: Buffer.concat(chunks, size) });
    };
    const onAbort = () => {
      stop();
      resolve({ kind: "aborted" });
    };
    const stop = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onAbort);
      request.off("close", onClose);
    };
    const onClose = () => {
      if (!request.complete) {
        onAbort();
      }
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onAbort);
    request.on("close", onClose);
  });
}
