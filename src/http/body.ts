import type { IncomingMessage, ServerResponse } from "node:http";

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

/**
 * How long a refused request's connection goes on reading what its client still sends after
 * the answer. Apache's lingering close waits 2 s the same way.
 */
export const LINGER_MS = 2_000;

/**
 * The most a refused connection reads in that time. Well above what loopback or a LAN keeps in
 * flight (socket buffers of a few MiB each way) before the client gets to read the answer.
 */
export const LINGER_BYTES = 64 * 1_048_576;

/**
 * Makes the answer about to be written on `response` the connection's last, and closes the
 * connection so that a client still streaming its body reads that answer.
 *
 * Node's server destroys a `Connection: close` socket as soon as its own FIN is out; bytes the
 * client sends after that draw a TCP reset, and a reset makes Linux drop received data the
 * client has not read yet: the client sees ECONNRESET instead of the answer. So this closes
 * only our side, goes on reading and dropping the body for `LINGER_MS` or `LINGER_BYTES`,
 * whichever comes first, then destroys the socket.
 */
export function closeAfterAnswer(request: IncomingMessage, response: ServerResponse): void {
  response.shouldKeepAlive = false;
  const socket = request.socket;
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
  let dropped = 0;
  request.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) {
      socket.destroy();
    }
  });
  request.resume();
}
