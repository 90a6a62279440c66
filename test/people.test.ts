/**
 * People profiles as the Crisp integrations keep them, through the gateway against the
 * simulator, with the exact Crisp requests asserted: every field of Crisp's profile card set,
 * read back and cleared with null; custom data; the list filtered by creation date and searched
 * with Crisp's search_filter / search_operator.
 */
import { describe, expect, it } from "vitest";
import { errorCode, startTestGateway } from "./helpers/gateway.js";

const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const store = t.simulator.store;

const takeWrites = () => t.takeWrites();

const code = errorCode;

const PROFILE = `id peopleId email nickname avatar gender phone address description websiteUrl timezone locales segments notepad
  profiles { type handle url }
  employment { name domain title role seniority }
  geolocation { country region city latitude longitude }
  company { name legalName domain url description timezone phones emails employees marketCap raised arr tags geolocation { country region city latitude longitude } }`;

const FULL = {
  email: "ada.lovelace@analytical.example",
  nickname: "Ada Lovelace",
  avatar: "https://avatars.example.com/ada.png",
  gender: "female",
  phone: "+44 20 7946 0000",
  address: "12 St James's Square, London",
  description: "Writes the first programs.",
  websiteUrl: "https://ada.example.com",
  timezone: 0,
  locales: ["en", "fr"],
  profiles: [
    { type: "twitter", handle: "ada", url: "https://twitter.com/ada" },
    { type: "linkedin", handle: "ada-lovelace" },
  ],
  employment: {
    name: "Analytical Engines",
    domain: "analytical.example",
    title: "Mathematician",
    role: "engineering",
    seniority: "executive",
  },
  geolocation: {
    country: "GB",
    region: "ENG",
    city: "London",
    latitude: 51.5072,
    longitude: -0.1276,
  },
  company: {
    name: "Analytical Engines",
    legalName: "Analytical Engines Ltd",
    domain: "analytical.example",
    url: "https://analytical.example",
    description: "Engines that compute.",
    timezone: 60,
    phones: ["+44 20 7946 0001"],
    emails: ["hello@analytical.example"],
    geolocation: { country: "GB", region: "ENG", city: "London", latitude: 51.5, longitude: -0.12 },
    employees: 42,
    marketCap: 1_000_000,
    raised: 250_000,
    arr: 120_000.5,
    tags: ["hardware", "pioneer"],
  },
  segments: ["vip"],
  notepad: "Met at the Royal Society.",
};

interface Profile {
  peopleId: string;
  [field: string]: unknown;
}

describe("a full profile", () => {
  let peopleId = "";

  it("creates every field of Crisp's profile card in one POST and reads each back", async () => {
    takeWrites();
    const created = await t.query<{ createPerson: Profile }>(
      `mutation($input: PersonInput!) { createPerson(input: $input) { ${PROFILE} } }`,
      { input: { websiteId: W, ...FULL } },
    );
    expect(created.errors).toBeUndefined();
    const person = created.data?.createPerson;
    peopleId = person?.peopleId ?? "";
    expect(person).toMatchObject({
      ...FULL,
      profiles: [
        { type: "twitter", handle: "ada", url: "https://twitter.com/ada" },
        { type: "linkedin", handle: "ada-lovelace", url: null },
      ],
    });
    const writes = takeWrites();
    expect(writes.map((write) => write.request)).toEqual([
      `POST /website/${W}/people/profile`,
      `GET /website/${W}/people/profile/${peopleId}`,
    ]);
    expect(writes[0]?.body).toEqual({
      email: FULL.email,
      person: {
        nickname: "Ada Lovelace",
        gender: "female",
        phone: "+44 20 7946 0000",
        address: "12 St James's Square, London",
        description: "Writes the first programs.",
        avatar: "https://avatars.example.com/ada.png",
        website: "https://ada.example.com",
        timezone: 0,
        locales: ["en", "fr"],
        profiles: [
          { type: "twitter", handle: "ada", url: "https://twitter.com/ada" },
          { type: "linkedin", handle: "ada-lovelace" },
        ],
        employment: FULL.employment,
        geolocation: {
          country: "GB",
          region: "ENG",
          city: "London",
          coordinates: { latitude: 51.5072, longitude: -0.1276 },
        },
      },
      company: {
        name: "Analytical Engines",
        legal_name: "Analytical Engines Ltd",
        domain: "analytical.example",
        url: "https://analytical.example",
        description: "Engines that compute.",
        timezone: 60,
        phones: ["+44 20 7946 0001"],
        emails: ["hello@analytical.example"],
        geolocation: {
          country: "GB",
          region: "ENG",
          city: "London",
          coordinates: { latitude: 51.5, longitude: -0.12 },
        },
        metrics: { employees: 42, market_cap: 1_000_000, raised: 250_000, arr: 120_000.5 },
        tags: ["hardware", "pioneer"],
      },
      segments: ["vip"],
      notepad: "Met at the Royal Society.",
    });
  });

  it("clears fields set to null on update: texts and lists emptied, numbers removed, objects field by field", async () => {
    takeWrites();
    const updated = await t.query<{ updatePerson: Profile }>(
      `mutation($input: PersonInput!) { updatePerson(input: $input) { ${PROFILE} } }`,
      {
        input: {
          websiteId: W,
          peopleId,
          nickname: null,
          timezone: null,
          locales: null,
          employment: null,
          geolocation: { city: null, latitude: null, longitude: null },
          company: { tags: null, employees: null, phones: ["+44 20 7946 0002"] },
        },
      },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updatePerson).toMatchObject({
      nickname: null,
      timezone: null,
      locales: [],
      employment: { name: null, domain: null, title: null, role: null, seniority: null },
      geolocation: { country: "GB", region: "ENG", city: null, latitude: null, longitude: null },
      // Untouched fields keep their value.
      gender: "female",
      company: {
        name: "Analytical Engines",
        tags: [],
        employees: null,
        marketCap: 1_000_000,
        phones: ["+44 20 7946 0002"],
      },
    });
    const writes = takeWrites();
    expect(writes[0]).toEqual({
      request: `PATCH /website/${W}/people/profile/${peopleId}`,
      body: {
        person: {
          nickname: "",
          timezone: null,
          locales: [],
          employment: { name: "", domain: "", title: "", role: "", seniority: "" },
          geolocation: { city: "", coordinates: null },
        },
        company: { phones: ["+44 20 7946 0002"], metrics: { employees: null }, tags: [] },
      },
    });
  });

  it("refuses null for the email, and a latitude without longitude, with BAD_USER_INPUT and no request", async () => {
    takeWrites();
    const mutation = `mutation($input: PersonInput!) { updatePerson(input: $input) { peopleId } }`;
    const noEmail = await t.query(mutation, { input: { websiteId: W, peopleId, email: null } });
    expect(code(noEmail)).toBe("BAD_USER_INPUT");
    const halfPlace = await t.query(mutation, {
      input: { websiteId: W, peopleId, geolocation: { latitude: 10 } },
    });
    expect(code(halfPlace)).toBe("BAD_USER_INPUT");
    expect(halfPlace.errors?.[0]?.extensions?.field).toBe("input.geolocation.latitude");
    expect(takeWrites()).toEqual([]);
  });
});

describe("custom data", () => {
  it("reads a profile's data with one GET …/people/data/{people_id}", async () => {
    const profile = store.people(W)[3];
    takeWrites();
    const response = await t.query<{ website: { person: { data: unknown } } }>(
      `query($p: ID!) { website { person(peopleId: $p) { data } } }`,
      { p: profile?.people_id },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data?.website.person.data).toEqual(
      store.record(W)?.peopleData.get(profile?.people_id ?? ""),
    );
    expect(takeWrites().map((write) => write.request)).toContain(
      `GET /website/${W}/people/data/${profile?.people_id}`,
    );
  });
});

describe("the people list", () => {
  const LIST = `query($filter: PeopleFilter, $first: Int) { website { people(first: $first, filter: $filter) { nodes { peopleId createdAt } } } }`;

  it("filters by creation date with filter_date_start / filter_date_end", async () => {
    const sorted = [...store.people(W)].sort((a, b) => (a.created_at ?? 0) - (b.created_at ?? 0));
    const from = new Date(sorted[40]?.created_at ?? 0);
    const until = new Date(sorted[60]?.created_at ?? 0);
    takeWrites();
    const response = await t.query<{ website: { people: { nodes: { peopleId: string }[] } } }>(
      LIST,
      {
        first: 50,
        filter: { createdFrom: from.toISOString(), createdUntil: until.toISOString() },
      },
    );
    expect(response.errors).toBeUndefined();
    const expected = store.listPeople(W, { dateStart: from.getTime(), dateEnd: until.getTime() });
    expect(response.data?.website.people.nodes.map((node) => node.peopleId)).toEqual(
      expected.map((profile) => profile.people_id),
    );
    expect(expected).toHaveLength(21);
    const query = new URLSearchParams({
      per_page: "50",
      filter_date_start: from.toISOString(),
      filter_date_end: until.toISOString(),
    });
    expect(takeWrites().map((write) => write.request)).toEqual([
      `GET /website/${W}`,
      `GET /website/${W}/people/profiles/1?${query.toString()}`,
    ]);
  });

  it("searches with Crisp's search_filter and search_operator", async () => {
    const company = store.people(W)[0]?.company?.name ?? "";
    takeWrites();
    const response = await t.query<{ website: { people: { nodes: { peopleId: string }[] } } }>(
      LIST,
      {
        first: 50,
        filter: {
          criteria: [
            { criterion: "company.name", operator: "eq", query: [company] },
            { criterion: "segments", operator: "has", query: ["vip"] },
          ],
          operator: "OR",
        },
      },
    );
    expect(response.errors).toBeUndefined();
    const criteria = [
      { model: "people", criterion: "company.name", operator: "eq", query: [company] },
      { model: "people", criterion: "segments", operator: "has", query: ["vip"] },
    ];
    const query = new URLSearchParams({
      per_page: "50",
      search_filter: JSON.stringify(criteria),
      search_operator: "or",
    });
    expect(takeWrites().map((write) => write.request)).toContain(
      `GET /website/${W}/people/profiles/1?${query.toString()}`,
    );
    const expected = store
      .people(W)
      .filter(
        (profile) => profile.company?.name === company || (profile.segments ?? []).includes("vip"),
      );
    expect(new Set(response.data?.website.people.nodes.map((node) => node.peopleId))).toEqual(
      new Set(expected.slice(0, 50).map((profile) => profile.people_id)),
    );
  });

  it("refuses an operator without criteria, and dates the wrong way round, before any request", async () => {
    takeWrites();
    const operatorOnly = await t.query(LIST, { filter: { operator: "AND" } });
    expect(code(operatorOnly)).toBe("BAD_USER_INPUT");
    const backwards = await t.query(LIST, {
      filter: { createdFrom: "2026-10-02T00:00:00Z", createdUntil: "2026-10-01T00:00:00Z" },
    });
    expect(code(backwards)).toBe("BAD_USER_INPUT");
    expect(takeWrites()).toEqual([]);
  });
});

describe("Conversation.peopleId", () => {
  it("gives the people id Crisp links to each conversation without loading any profile", async () => {
    takeWrites();
    const response = await t.query<{
      website: { conversations: { nodes: { sessionId: string; peopleId: string | null }[] } };
    }>(`{ website { conversations(first: 20) { nodes { sessionId peopleId } } } }`);
    expect(response.errors).toBeUndefined();
    const nodes = response.data?.website.conversations.nodes ?? [];
    expect(nodes.map((node) => node.peopleId)).toEqual(
      nodes.map((node) => store.conversation(W, node.sessionId)?.people_id ?? null),
    );
    expect(nodes.some((node) => node.peopleId !== null)).toBe(true);
    expect(takeWrites().map((write) => write.request)).toEqual([
      `GET /website/${W}`,
      `GET /website/${W}/conversations/1?per_page=21`,
    ]);
  });
});
