import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKeysFile, type Viewer } from "../../src/auth.js";

/**
 * API keys as GATEWAY_KEYS_FILE gives them: `entries` written to a keys file and read back
 * through the gateway's own loader (its validation and hashing), the file removed at once.
 */
export function keysFileOf(entries: readonly Record<string, unknown>[]): Map<string, Viewer> {
  const directory = mkdtempSync(join(tmpdir(), "gateway-keys-"));
  try {
    const path = join(directory, "keys.json");
    writeFileSync(path, JSON.stringify(entries));
    return loadKeysFile(path);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
