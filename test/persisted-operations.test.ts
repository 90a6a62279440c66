import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApolloClient, gql, HttpLink, InMemoryCache } from "@apollo/client";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { print } from "graphql";
import { afterAll, describe, expect, it } from "vitest";
import { loadTrustedDocuments } from "../src/plugins/use-persisted-operations.js";
import { startSimulator } from "../src/simulator/index.js";
import { gatewayOn } from "./helpers/gateway.js";

const simulator = await startSimulator({ seed: 1 });
afterAll(() => simulator.close());
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function gateway(trustedDocuments?: Map<string, string>) {
  const instance = gatewayOn(simulator, {
    ...(trustedDocuments ? { trustedDocuments } : {}),
  });
  const { url } = await instance.listen("127.0.0.1", 0);
  return url;
}

const WEBSITE_NAME = gql`
  query WebsiteName {
    website {
      id
      name
    }
  }
`;

describe("automatic persisted queries", () => {
  it("work with Apollo Client's createPersistedQueryLink: the hash alone after the first time", async () => {
    const url = await gateway();
    const sent: { hasQuery: boolean }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init?.body)) as { query?: string };
      sent.push({ hasQuery: typeof body.query === "string" });
      return fetch(input, init);
    };
    const client = () =>
      new ApolloClient({
        link: createPersistedQueryLink({ sha256 }).concat(
          new HttpLink({ uri: url, fetch: recordingFetch }),
        ),
        cache: new InMemoryCache(),
      });
    const first = await client().query<{ website: { name: string } }>({ query: WEBSITE_NAME });
    expect(first.data?.website?.name).toBeTruthy();
    // Hash only, refused as unknown; then hash and query, learnt.
    expect(sent).toEqual([{ hasQuery: false }, { hasQuery: true }]);
    const second = await client().query<{ website: { name: string } }>({ query: WEBSITE_NAME });
    expect(second.data?.website?.name).toBe(first.data?.website?.name);
    expect(sent.slice(2)).toEqual([{ hasQuery: false }]);
  });

  it("refuses a hash that does not match its query", async () => {
    const url = await gateway();
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "{ website { name } }",
        extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } },
      }),
    });
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("trusted documents", () => {
  const trustedQuery = print(WEBSITE_NAME);
  const directory = mkdtempSync(join(tmpdir(), "trusted-"));
  const manifest = join(directory, "manifest.json");
  writeFileSync(
    manifest,
    JSON.stringify({
      format: "apollo-persisted-query-manifest",
      version: 1,
      operations: [
        { id: sha256(trustedQuery), name: "WebsiteName", type: "query", body: trustedQuery },
      ],
    }),
  );

  it("run only the listed operations, by hash, and refuse anything else before any Crisp request", async () => {
    const url = await gateway(loadTrustedDocuments(manifest));
    const post = async (body: unknown) =>
      (await (
        await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        })
      ).json()) as {
        data?: unknown;
        errors?: { extensions?: { code?: string } }[];
      };
    const trusted = await post({
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(trustedQuery) } },
    });
    expect(trusted.errors).toBeUndefined();
    simulator.clearRequests();
    const arbitrary = await post({
      query: "{ website { conversations(first: 50) { nodes { sessionId } } } }",
    });
    expect(arbitrary.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(simulator.requests).toEqual([]);
  });

  it("refuse a manifest whose hash does not match its document", () => {
    const bad = join(directory, "bad.json");
    writeFileSync(bad, JSON.stringify({ ["0".repeat(64)]: "{ website { name } }" }));
    expect(() => loadTrustedDocuments(bad)).toThrow(/not the sha256 of its document/);
  });
});
