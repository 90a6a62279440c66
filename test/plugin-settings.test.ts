/**
 * Plugin mode: the plugin's settings of each website, read and written through the gateway
 * against the simulator with the exact Crisp requests asserted, and the simulator's knob that
 * installs and removes the plugin on a website.
 */
import { describe, expect, it } from "vitest";
import type { SimulatorEvent } from "../src/simulator/index.js";
import { errorCode, queryGateway, startTestGateway, userTierGateway } from "./helpers/gateway.js";
import { crisp } from "./helpers/simulator-client.js";

// The plugin's id is cached for the token, as in production: this file checks it.
const t = await startTestGateway({}, { cache: {} });
const W = t.simulator.defaultWebsiteId;
const PLUGIN = t.simulator.pluginId;
const record = t.simulator.store.record(W);
const SETTINGS_PATH = `/plugins/subscription/${W}/${PLUGIN}/settings`;

const takeWrites = () => t.takeWrites();

const code = errorCode;
const UPDATE = `mutation($w: ID!, $s: JSON!, $replace: Boolean) { updatePluginSettings(websiteId: $w, settings: $s, replace: $replace) }`;

describe("Website.pluginSettings", () => {
  it("reads the plugin's id once, then the website's settings", async () => {
    takeWrites();
    const response = await t.query<{ website: { pluginSettings: unknown } }>(
      `{ website { pluginSettings } }`,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.website.pluginSettings).toEqual(record?.connect.settings);
    expect(takeWrites().map((write) => write.request)).toEqual([
      `GET /website/${W}`,
      "GET /plugin/connect/account",
      `GET ${SETTINGS_PATH}`,
    ]);
  });

  it("keeps the plugin's id for the token: a second website's settings cost one request", async () => {
    const other = t.simulator.store.websites[1]?.website_id ?? "";
    takeWrites();
    const response = await t.query<{ website: { pluginSettings: unknown } }>(
      `query($w: ID!) { website(id: $w) { pluginSettings } }`,
      { w: other },
    );
    expect(response.errors).toBeUndefined();
    expect(takeWrites().map((write) => write.request)).toEqual([
      `GET /website/${other}`,
      `GET /plugins/subscription/${other}/${PLUGIN}/settings`,
    ]);
  });
});

describe("updatePluginSettings", () => {
  it("merges with PATCH, answers the settings read back, and later reads show them", async () => {
    const before = structuredClone(record?.connect.settings);
    takeWrites();
    const response = await t.query<{ updatePluginSettings: unknown }>(UPDATE, {
      w: W,
      s: { greeting: "Bonjour", hours: { open: 9 } },
    });
    expect(response.errors).toBeUndefined();
    const merged = { ...before, greeting: "Bonjour", hours: { open: 9 } };
    expect(response.data?.updatePluginSettings).toEqual(merged);
    expect(takeWrites()).toEqual([
      { request: `PATCH ${SETTINGS_PATH}`, body: { greeting: "Bonjour", hours: { open: 9 } } },
      { request: `GET ${SETTINGS_PATH}`, body: undefined },
    ]);
    const read = await t.query<{ website: { pluginSettings: unknown } }>(
      `{ website { pluginSettings } }`,
    );
    expect(read.data?.website.pluginSettings).toEqual(merged);
  });

  it("replaces with PUT when replace is true", async () => {
    takeWrites();
    const response = await t.query<{ updatePluginSettings: unknown }>(UPDATE, {
      w: W,
      s: { enabled: false },
      replace: true,
    });
    expect(response.errors).toBeUndefined();
    expect(response.data?.updatePluginSettings).toEqual({ enabled: false });
    expect(takeWrites()[0]).toEqual({ request: `PUT ${SETTINGS_PATH}`, body: { enabled: false } });
  });

  it("refuses settings that are not an object with BAD_USER_INPUT and no Crisp request", async () => {
    takeWrites();
    const response = await t.query(UPDATE, { w: W, s: ["not", "an", "object"] });
    expect(code(response)).toBe("BAD_USER_INPUT");
    expect(takeWrites()).toEqual([]);
  });

  it("is FORBIDDEN, with no Crisp request, for a gateway holding another tier's token", async () => {
    const user = userTierGateway(t.simulator);
    takeWrites();
    const read = await queryGateway(user, `query($w: ID!) { website(id: $w) { pluginSettings } }`, {
      w: W,
    });
    expect(code(read)).toBe("FORBIDDEN");
    const write = await queryGateway(user, UPDATE, { w: W, s: { a: 1 } });
    expect(code(write)).toBe("FORBIDDEN");
    // The website itself is read for `website(id:)`; nothing of the plugin is.
    expect(takeWrites().map((write) => write.request)).toEqual([`GET /website/${W}`]);
  });
});

describe("the simulator's plugin installs", () => {
  it("installs and removes the plugin on a website, emitting plugin:subscription:updated each time", async () => {
    const sim = t.simulator;
    // The last seeded website exists but has not installed the plugin.
    const website = sim.store.websites.at(-1)?.website_id ?? "";
    const events: SimulatorEvent[] = [];
    const stop = sim.onEvent((event) => events.push(event));
    const listed = async () =>
      (
        (await crisp<{ website_id: string }[]>(sim, "/plugin/connect/websites/all/1")).body?.data ??
        []
      ).map((item) => item.website_id);
    try {
      expect((await crisp(sim, `/website/${website}`)).body?.reason).toBe("not_subscribed");
      expect(await listed()).not.toContain(website);
      sim.setPluginInstalled(website, true);
      expect(await listed()).toContain(website);
      const settings = await crisp(sim, `/plugins/subscription/${website}/${PLUGIN}/settings`);
      expect(settings.status).toBe(200);
      sim.setPluginInstalled(website, true);
      sim.setPluginInstalled(website, false);
      expect((await crisp(sim, `/website/${website}`)).body?.reason).toBe("not_subscribed");
      expect(await listed()).not.toContain(website);
    } finally {
      stop();
    }
    expect(events.map((event) => [event.event, event.website_id, event.data])).toEqual([
      [
        "plugin:subscription:updated",
        website,
        { website_id: website, plugin_id: PLUGIN, bound: true, target: "website" },
      ],
      [
        "plugin:subscription:updated",
        website,
        { website_id: website, plugin_id: PLUGIN, bound: false, target: "website" },
      ],
    ]);
  });

  it("answers 404 plugin_not_found for another plugin's id", async () => {
    const reply = await crisp(t.simulator, `/plugins/subscription/${W}/0123456789abcdef/settings`);
    expect([reply.status, reply.body?.reason]).toEqual([404, "plugin_not_found"]);
  });
});
