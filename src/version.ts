/**
 * The gateway's version, sent to Crisp in the User-Agent and reported by `gateway.version`.
 * A constant rather than a read of package.json, so `dist/` runs on its own; a test keeps it
 * equal to package.json's `version`.
 */
export const VERSION = "0.1.0";
