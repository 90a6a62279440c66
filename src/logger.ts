import { type DestinationStream, type Logger, pino } from "pino";

/**
 * Structured JSON logs (pino). Nothing logged carries a credential or a Crisp body: the client
 * reports exchanges as method, route, status and duration only, and these paths are redacted
 * in case a future log line passes a whole object.
 */
export const REDACTED_PATHS = [
  "key",
  "*.key",
  "secret",
  "*.secret",
  "identifier",
  "*.identifier",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "body",
  "*.body",
];

export function createLogger(level: string = "info", destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export type { Logger };
