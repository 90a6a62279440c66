import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (`apt-get install -y chromium`); playwright-core never downloads one. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Launches headless Chromium for browser tests, with nothing that reaches out on its own
 * (no QUIC, background networking, component updates or sync), so a test sees only the
 * requests the page makes.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
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
