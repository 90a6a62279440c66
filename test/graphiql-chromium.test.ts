import type { Browser, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./helpers/chromium.js";
import { defaultWebsiteOf, printedUrl, startGateway } from "./helpers/process.js";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(() => browser.close());

/** What the result editor shows (Monaco renders spaces as no-break spaces). */
async function shown(result: Locator): Promise<string> {
  return (await result.innerText()).replaceAll("\u00a0", " ");
}

/** The host a request went to; blob: URLs carry their creator's origin. */
function originOf(url: string): string | null {
  if (url.startsWith("data:")) {
    return null;
  }
  return new URL(url.startsWith("blob:") ? url.slice("blob:".length) : url).origin;
}

describe("GraphiQL in Chromium against npm start's demo", () => {
  it("renders offline from the gateway alone, runs the default query and shows a live event", async () => {
    const gateway = startGateway({ PORT: "0", DEMO_ACTIVITY_MS: "300" });
    const url = await printedUrl(gateway);
    const origin = new URL(url).origin;
    const wsOrigin = origin.replace("http://", "ws://");
    const websiteId = await defaultWebsiteOf(url);

    const context = await browser.newContext();
    const page = await context.newPage();
    const requested: string[] = [];
    const sockets: string[] = [];
    const pageErrors: string[] = [];
    page.on("request", (request) => requested.push(request.url()));
    page.on("websocket", (socket) => sockets.push(socket.url()));
    page.on("pageerror", (error) => pageErrors.push(error.message));

    const document = await page.goto(url);
    expect(document?.status()).toBe(200);
    expect(await document?.headerValue("content-encoding")).toBe("br");
    expect(await page.title()).toBe("Crisp GraphQL gateway (demo)");

    // The default document holds two operations: run the query, then the subscription.
    const result = page.getByLabel("Result Window");
    await page.getByLabel("Execute query (Ctrl-Enter)").click();
    await page.getByRole("menuitem", { name: "Dashboard" }).click();
    await result.getByText(`"websiteId": "${websiteId}"`).waitFor();
    expect(await shown(result)).toContain('"edges": [');

    await page.getByLabel("Execute query (Ctrl-Enter)").click();
    await page.getByRole("menuitem", { name: "Live" }).click();
    await result.getByText('"crispEvents"').waitFor();
    expect(await shown(result)).toMatch(/"name": "(message|session):/);

    expect(pageErrors).toEqual([]);
    expect(sockets).toEqual([`${wsOrigin}/graphql`]);
    expect(requested.length).toBeGreaterThan(0);
    const elsewhere = requested.filter((address) => {
      const from = originOf(address);
      return from !== null && from !== origin;
    });
    expect(elsewhere).toEqual([]);
    await context.close();
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited()).toBe(0);
  }, 90_000);
});
