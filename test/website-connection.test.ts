/**
 * websiteConnectionChanged: the simulator installs and removes the plugin on a website, its
 * `plugin:subscription:updated` events reach the gateway as signed web hooks through the
 * simulator's own hook sender and the real hook route, and a graphql-ws subscriber learns of
 * each with no Crisp request; the websites list follows.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startTestGateway } from "./helpers/gateway.js";
import { HOOK_SECRET } from "./helpers/hooks.js";
import { subscribe, wsClient } from "./helpers/live.js";

const t = await startTestGateway({}, { cache: {}, hooks: { secret: HOOK_SECRET } });
const { wsUrl, hookUrl } = await t.gateway.listen("127.0.0.1", 0);
const sim = t.simulator;
sim.configure({ hooks: { url: hookUrl, kind: "plugin", secret: HOOK_SECRET } });
afterAll(() => sim.configure({ hooks: null }));
// The last seeded website exists but has not installed the plugin.
const NEW = sim.store.websites.at(-1)?.website_id ?? "";

/** Waits until the simulator's hooks were answered and the gateway applied every event. */
async function delivered(): Promise<void> {
  await sim.hooksIdle();
  await t.gateway.eventsCaughtUp();
}

const WEBSITES = `{ websites(first: 50) { nodes { websiteId } } }`;
const listed = async () =>
  (
    (await t.query<{ websites: { nodes: { websiteId: string }[] } }>(WEBSITES)).data?.websites
      .nodes ?? []
  ).map((node) => node.websiteId);

describe("websiteConnectionChanged", () => {
  it("tells a subscriber of each install and removal, costing Crisp nothing, and the websites list follows", async () => {
    expect(await listed()).not.toContain(NEW);
    const sub = subscribe<{
      websiteConnectionChanged: {
        websiteId: string;
        connected: boolean;
        website: { websiteId: string } | null;
      };
    }>(
      wsClient(wsUrl),
      `subscription { websiteConnectionChanged { websiteId connected website { websiteId } } }`,
    );
    await t.gateway.openSubscriptions(1);
    t.takeRequests();

    sim.setPluginInstalled(NEW, true);
    const [installed] = await sub.take(1);
    expect(installed?.errors).toBeUndefined();
    expect(installed?.data?.websiteConnectionChanged).toEqual({
      websiteId: NEW,
      connected: true,
      website: { websiteId: NEW },
    });
    await delivered();
    // Delivering the event read nothing from Crisp.
    expect(t.takeRequests()).toEqual([]);
    // The installations the gateway held were dropped: the next list reads them again.
    expect(await listed()).toContain(NEW);
    expect(t.takeRequests()[0]).toMatch(/^GET \/plugin\/connect\/websites\/all\/1/);

    sim.setPluginInstalled(NEW, false);
    const [removed] = await sub.take(1);
    expect(removed?.data?.websiteConnectionChanged).toEqual({
      websiteId: NEW,
      connected: false,
      website: null,
    });
    await delivered();
    expect(await listed()).not.toContain(NEW);
    sub.dispose();
  });
});
