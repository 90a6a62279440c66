/**
 * websiteConnectionChanged: the simulator installs and removes the plugin on a website, its
 * `plugin:subscription:updated` events enter the gateway as a verified hook's would, and a
 * graphql-ws subscriber learns of each with no Crisp request; the websites list follows.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it, onTestFinished } from "vitest";
import type { SimulatorEvent } from "../src/simulator/index.js";
import { startTestGateway } from "./helpers/gateway.js";
import { subscribe, wsClient } from "./helpers/live.js";

const t = await startTestGateway({}, { cache: {} });
const { wsUrl } = await t.gateway.listen("127.0.0.1", 0);
const sim = t.simulator;
// The last seeded website exists but has not installed the plugin.
const NEW = sim.store.websites.at(-1)?.website_id ?? "";

/** Feeds each event the simulator emits into the gateway's ingest, as the hook route does. */
function relaySimulatorEvents(): Promise<void>[] {
  const applied: Promise<void>[] = [];
  const stop = sim.onEvent((event: SimulatorEvent) => {
    applied.push(
      t.gateway
        .ingest(
          {
            name: event.event,
            websiteId: event.website_id,
            sessionId: null,
            data: event.data,
            timestamp: event.timestamp,
          },
          { source: "hook", dedupeKey: randomUUID() },
        )
        .then((result) => {
          if (!result.recorded) {
            throw new Error(`not recorded: ${event.event}`);
          }
          return t.gateway.eventApplied(result.id);
        }),
    );
  });
  onTestFinished(stop);
  return applied;
}

const WEBSITES = `{ websites(first: 50) { nodes { websiteId } } }`;
const listed = async () =>
  (
    (await t.query<{ websites: { nodes: { websiteId: string }[] } }>(WEBSITES)).data?.websites
      .nodes ?? []
  ).map((node) => node.websiteId);

describe("websiteConnectionChanged", () => {
  it("tells a subscriber of each install and removal, costing Crisp nothing, and the websites list follows", async () => {
    const applied = relaySimulatorEvents();
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
    await Promise.all(applied);
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
    await Promise.all(applied);
    expect(await listed()).not.toContain(NEW);
    sub.dispose();
  });
});
