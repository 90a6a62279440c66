import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (`apt-get install -y chromium`); never a browser download. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Launches Debian's Chromium headless through playwright-core, with nothing of its own
 * reaching the network (no background updates, sync or QUIC probes), so a test can assert
 * every request a page makes.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
