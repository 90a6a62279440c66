import { describe, expect, it } from "vitest";
import {
  type GraphQLResponse,
  queryGateway,
  startTestGateway,
  userTierGateway,
} from "./helpers/gateway.js";

const t = await startTestGateway();
const W = t.simulator.defaultWebsiteId;
const store = t.simulator.store;
const MISSING_SESSION = "session_00000000-0000-4000-8000-000000000000";
const MISSING_PERSON = "00000000-0000-4000-8000-000000000000";

const takeWrites = () => t.takeWrites();

function conversationWithMessages() {
  const conversation = store.listConversations(W, {}).find((c) => c.state !== "resolved");
  if (conversation === undefined) {
    throw new Error("the seed has no open conversation");
  }
  return conversation.session_id;
}

function code(response: GraphQLResponse): unknown {
  return response.errors?.[0]?.extensions?.code;
}

describe("sendMessage", () => {
  const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id fingerprint type from text content { ... on TextContent { text } ... on FileContent { name url type } } author { nickname } conversation { sessionId lastMessage } } }`;

  it("sends exactly Crisp's message request and answers the stored message", async () => {
    const sessionId = conversationWithMessages();
    takeWrites();
    const response = await t.query<{
      sendMessage: {
        fingerprint: number;
        text: string;
        type: string;
        from: string;
        author: { nickname: string };
      };
    }>(SEND, {
      input: {
        websiteId: W,
        sessionId,
        type: "TEXT",
        from: "OPERATOR",
        content: "Your order shipped today.",
        nickname: "Support bot",
        fingerprint: 424242424242,
      },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data?.sendMessage).toMatchObject({
      fingerprint: 424242424242,
      text: "Your order shipped today.",
      type: "TEXT",
      from: "OPERATOR",
      author: { nickname: "Support bot" },
    });
    const writes = takeWrites();
    expect(writes[0]).toEqual({
      request: `POST /website/${W}/conversation/${sessionId}/message`,
      body: {
        type: "text",
        from: "operator",
        origin: "chat",
        content: "Your order shipped today.",
        user: { nickname: "Support bot" },
        fingerprint: 424242424242,
      },
    });
    expect(writes.map((w) => w.request)).toEqual([
      `POST /website/${W}/conversation/${sessionId}/message`,
      `GET /website/${W}/conversation/${sessionId}/message/424242424242`,
      `GET /website/${W}/conversation/${sessionId}`,
    ]);
  });

  it("creates one message however many times a client retries with the same fingerprint", async () => {
    const sessionId = conversationWithMessages();
    const before = store.messages(W, sessionId)?.length ?? 0;
    const input = {
      websiteId: W,
      sessionId,
      type: "NOTE",
      from: "OPERATOR",
      content: "Called the customer back.",
      fingerprint: 777000111222,
    };
    const answers = await Promise.all([t.query(SEND, { input }), t.query(SEND, { input })]);
    const again = await t.query(SEND, { input });
    for (const answer of [...answers, again]) {
      expect(answer.errors).toBeUndefined();
    }
    expect(
      store.messages(W, sessionId)?.filter((m) => m.fingerprint === 777000111222),
    ).toHaveLength(1);
    expect(store.messages(W, sessionId)?.length).toBe(before + 1);
  });

  it("shows the new message in the conversation's messages and lastMessage right after", async () => {
    const sessionId = conversationWithMessages();
    const { data } = await t.query<{ sendMessage: { fingerprint: number } }>(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { fingerprint } }`,
      {
        input: {
          websiteId: W,
          sessionId,
          type: "TEXT",
          from: "USER",
          content: "Is it still on time?",
        },
      },
    );
    const fingerprint = data?.sendMessage.fingerprint;
    const later = await t.query<{
      website: {
        conversation: {
          lastMessage: string;
          messages: { nodes: { fingerprint: number; text: string }[] };
        };
      };
    }>(
      `query($s: ID!) { website { conversation(sessionId: $s) { lastMessage messages(last: 1) { nodes { fingerprint text } } } } }`,
      { s: sessionId },
    );
    expect(later.data?.website.conversation.messages.nodes).toEqual([
      { fingerprint, text: "Is it still on time?" },
    ]);
    expect(later.data?.website.conversation.lastMessage).toBe("Is it still on time?");
  });

  it("sends a file with its object content", async () => {
    const sessionId = conversationWithMessages();
    const { data, errors } = await t.query<{
      sendMessage: { content: { name: string; url: string; type: string } };
    }>(SEND, {
      input: {
        websiteId: W,
        sessionId,
        type: "FILE",
        from: "OPERATOR",
        content: {
          name: "invoice.pdf",
          url: "https://files.example.com/invoice.pdf",
          type: "application/pdf",
        },
      },
    });
    expect(errors).toBeUndefined();
    expect(data?.sendMessage.content).toEqual({
      name: "invoice.pdf",
      url: "https://files.example.com/invoice.pdf",
      type: "application/pdf",
    });
  });

  it.each([
    ["a TEXT message with an object", { type: "TEXT", content: { text: "hi" } }, "input.content"],
    ["an empty TEXT message", { type: "TEXT", content: "  " }, "input.content"],
    [
      "a FILE without url",
      { type: "FILE", content: { name: "a.pdf", type: "application/pdf" } },
      "input.content.url",
    ],
    [
      "a FILE with a javascript: url",
      { type: "FILE", content: { name: "a", url: "javascript:alert(1)", type: "x" } },
      "input.content.url",
    ],
    [
      "a PICKER without choices",
      { type: "PICKER", content: { id: "p", text: "Pick", choices: [] } },
      "input.content.choices",
    ],
    [
      "an EVENT without namespace",
      { type: "EVENT", content: { text: "x" } },
      "input.content.namespace",
    ],
    [
      "a text over 10,000 characters",
      { type: "TEXT", content: "x".repeat(10_001) },
      "input.content",
    ],
    ["an unknown origin", { type: "TEXT", content: "hi", origin: "fax" }, "input.origin"],
    [
      "a bad session id",
      { type: "TEXT", content: "hi", sessionId: "session_nope" },
      "input.sessionId",
    ],
    [
      "a fingerprint of 0 (Crisp's are signed, never 0)",
      { type: "TEXT", content: "hi", fingerprint: 0 },
      "input.fingerprint",
    ],
    [
      "a mention that is not an operator id",
      { type: "TEXT", content: "hi", mentions: ["bob"] },
      "input.mentions[0]",
    ],
  ])(
    "refuses %s with BAD_USER_INPUT naming the field and no Crisp request",
    async (_name, overrides, field) => {
      takeWrites();
      const response = await t.query(SEND, {
        input: {
          websiteId: W,
          sessionId: conversationWithMessages(),
          from: "OPERATOR",
          ...overrides,
        },
      });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(takeWrites()).toEqual([]);
    },
  );

  it("fails with NOT_FOUND on a conversation that does not exist", async () => {
    const response = await t.query(SEND, {
      input: {
        websiteId: W,
        sessionId: MISSING_SESSION,
        type: "TEXT",
        from: "USER",
        content: "hi",
      },
    });
    expect(code(response)).toBe("NOT_FOUND");
  });

  it("maps Crisp's too_many_messages to CONFLICT", async () => {
    t.simulator.configure({
      errors: { status: 409, rate: 1, reason: "too_many_messages", match: /\/message$/ },
    });
    try {
      const response = await t.query(SEND, {
        input: {
          websiteId: W,
          sessionId: conversationWithMessages(),
          type: "TEXT",
          from: "USER",
          content: "hi",
        },
      });
      expect(response.errors?.[0]?.extensions).toMatchObject({
        code: "CONFLICT",
        crispReason: "too_many_messages",
      });
    } finally {
      t.simulator.configure({ errors: null });
    }
  });

  it("never retries a failed write: one POST reaches Crisp", async () => {
    t.simulator.configure({ errors: { status: 503, rate: 1, match: /\/message$/ } });
    takeWrites();
    try {
      const response = await t.query(SEND, {
        input: {
          websiteId: W,
          sessionId: conversationWithMessages(),
          type: "TEXT",
          from: "USER",
          content: "hi",
        },
      });
      expect(code(response)).toBe("UPSTREAM_UNAVAILABLE");
      expect(takeWrites().filter((w) => w.request.startsWith("POST"))).toHaveLength(1);
    } finally {
      t.simulator.configure({ errors: null });
    }
  });
});

describe("updateMessage and removeMessage", () => {
  it("edits a message's content after checking it against the message's type", async () => {
    const sessionId = conversationWithMessages();
    const sent = await t.query<{ sendMessage: { fingerprint: number } }>(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { fingerprint } }`,
      { input: { websiteId: W, sessionId, type: "TEXT", from: "OPERATOR", content: "Typo hree" } },
    );
    const fingerprint = sent.data?.sendMessage.fingerprint;
    takeWrites();
    const { data, errors } = await t.query<{ updateMessage: { text: string; edited: boolean } }>(
      `mutation($input: UpdateMessageInput!) { updateMessage(input: $input) { text edited } }`,
      { input: { websiteId: W, sessionId, fingerprint, content: "Typo here" } },
    );
    expect(errors).toBeUndefined();
    expect(data?.updateMessage).toEqual({ text: "Typo here", edited: true });
    const writes = takeWrites();
    expect(writes.find((w) => w.request.startsWith("PATCH"))).toEqual({
      request: `PATCH /website/${W}/conversation/${sessionId}/message/${fingerprint}`,
      body: { content: "Typo here" },
    });
    const wrongShape = await t.query(
      `mutation($input: UpdateMessageInput!) { updateMessage(input: $input) { text } }`,
      { input: { websiteId: W, sessionId, fingerprint, content: { name: "x" } } },
    );
    expect(wrongShape.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.content",
    });
    expect(takeWrites().some((w) => w.request.startsWith("PATCH"))).toBe(false);
  });

  it("removes a message, then fails with NOT_FOUND on removing it again", async () => {
    const sessionId = conversationWithMessages();
    const fingerprint = store.messages(W, sessionId)?.at(-1)?.fingerprint;
    takeWrites();
    const REMOVE = `mutation($w: ID!, $s: ID!, $f: SafeInt!) { removeMessage(websiteId: $w, sessionId: $s, fingerprint: $f) }`;
    const removed = await t.query(REMOVE, { w: W, s: sessionId, f: fingerprint });
    expect(removed.data).toEqual({ removeMessage: true });
    expect(takeWrites()).toEqual([
      {
        request: `DELETE /website/${W}/conversation/${sessionId}/message/${fingerprint}`,
        body: undefined,
      },
    ]);
    expect(store.message(W, sessionId, fingerprint ?? 0)).toBeUndefined();
    expect(code(await t.query(REMOVE, { w: W, s: sessionId, f: fingerprint }))).toBe("NOT_FOUND");
  });
});

describe("conversation state, assignment and metas", () => {
  it("resolves a conversation, which then shows in conversations(filter: {resolved: true})", async () => {
    const sessionId = conversationWithMessages();
    takeWrites();
    const { data, errors } = await t.query<{ setConversationState: { state: string } }>(
      `mutation($w: ID!, $s: ID!) { setConversationState(websiteId: $w, sessionId: $s, state: RESOLVED) { state } }`,
      { w: W, s: sessionId },
    );
    expect(errors).toBeUndefined();
    expect(data?.setConversationState.state).toBe("RESOLVED");
    expect(takeWrites()[0]).toEqual({
      request: `PATCH /website/${W}/conversation/${sessionId}/state`,
      body: { state: "resolved" },
    });
    const listed = await t.query<{
      website: { conversations: { nodes: { sessionId: string; state: string }[] } };
    }>(
      `{ website { conversations(first: 5, filter: { resolved: true }) { nodes { sessionId state } } } }`,
    );
    expect(listed.data?.website.conversations.nodes[0]).toEqual({ sessionId, state: "RESOLVED" });
  });

  it("assigns to an operator and unassigns with null", async () => {
    const sessionId = conversationWithMessages();
    const operator = store.operators(W)[1]?.details;
    takeWrites();
    const ASSIGN = `mutation($w: ID!, $s: ID!, $o: ID) { assignConversation(websiteId: $w, sessionId: $s, operatorId: $o) { assignee { userId firstName } } }`;
    const assigned = await t.query<{
      assignConversation: { assignee: { userId: string; firstName: string } | null };
    }>(ASSIGN, { w: W, s: sessionId, o: operator?.user_id });
    expect(assigned.data?.assignConversation.assignee).toEqual({
      userId: operator?.user_id,
      firstName: operator?.first_name,
    });
    expect(takeWrites()[0]).toEqual({
      request: `PATCH /website/${W}/conversation/${sessionId}/routing`,
      body: { assigned: { user_id: operator?.user_id } },
    });
    const listed = await t.query<{
      website: { conversations: { nodes: { sessionId: string }[] } };
    }>(
      `query($o: ID!) { website { conversations(first: 50, filter: { assignedTo: $o }) { nodes { sessionId } } } }`,
      { o: operator?.user_id },
    );
    expect(listed.data?.website.conversations.nodes.map((n) => n.sessionId)).toContain(sessionId);
    takeWrites();
    const unassigned = await t.query<{ assignConversation: { assignee: unknown } }>(ASSIGN, {
      w: W,
      s: sessionId,
      o: null,
    });
    expect(unassigned.data?.assignConversation.assignee).toBeNull();
    expect(takeWrites()[0]).toEqual({
      request: `PATCH /website/${W}/conversation/${sessionId}/routing`,
      body: { assigned: null },
    });
  });

  it("changes only the metas given", async () => {
    const sessionId = conversationWithMessages();
    const before = store.conversation(W, sessionId)?.meta;
    takeWrites();
    const { data, errors } = await t.query<{
      updateConversationMeta: {
        meta: { nickname: string; email: string; phone: string | null; segments: string[] };
      };
    }>(
      `mutation($input: ConversationMetaInput!) { updateConversationMeta(input: $input) { meta { nickname email phone segments } } }`,
      { input: { websiteId: W, sessionId, nickname: "Jane Doe", segments: ["vip", "beta"] } },
    );
    expect(errors).toBeUndefined();
    expect(data?.updateConversationMeta.meta).toMatchObject({
      nickname: "Jane Doe",
      segments: ["vip", "beta"],
      email: before?.email ?? null,
    });
    expect(takeWrites()[0]).toEqual({
      request: `PATCH /website/${W}/conversation/${sessionId}/meta`,
      body: { nickname: "Jane Doe", segments: ["vip", "beta"] },
    });
  });

  it.each([
    [
      "an email that is not one",
      `mutation { updateConversationMeta(input: { websiteId: "${W}", sessionId: "${MISSING_SESSION}", email: "jane@" }) { sessionId } }`,
      "input.email",
    ],
    [
      "no meta at all",
      `mutation { updateConversationMeta(input: { websiteId: "${W}", sessionId: "${MISSING_SESSION}" }) { sessionId } }`,
      "input",
    ],
    [
      "data that is not an object",
      `mutation { updateConversationMeta(input: { websiteId: "${W}", sessionId: "${MISSING_SESSION}", data: [1] }) { sessionId } }`,
      "input.data",
    ],
    [
      "an operator id that is not a UUID",
      `mutation { assignConversation(websiteId: "${W}", sessionId: "${MISSING_SESSION}", operatorId: "bob") { sessionId } }`,
      "operatorId",
    ],
    [
      "a website id that is not a UUID",
      `mutation { createConversation(websiteId: "acme") { sessionId } }`,
      "websiteId",
    ],
    [
      "a session id that is not one",
      `mutation { removeConversation(websiteId: "${W}", sessionId: "42") }`,
      "sessionId",
    ],
  ])("refuses %s with BAD_USER_INPUT and no Crisp request", async (_name, mutation, field) => {
    takeWrites();
    const response = await t.query(mutation);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(takeWrites()).toEqual([]);
  });

  it.each([
    [
      "setConversationState",
      `mutation { setConversationState(websiteId: "${W}", sessionId: "${MISSING_SESSION}", state: PENDING) { sessionId } }`,
    ],
    [
      "assignConversation",
      `mutation { assignConversation(websiteId: "${W}", sessionId: "${MISSING_SESSION}", operatorId: null) { sessionId } }`,
    ],
    [
      "updateConversationMeta",
      `mutation { updateConversationMeta(input: { websiteId: "${W}", sessionId: "${MISSING_SESSION}", nickname: "x" }) { sessionId } }`,
    ],
    [
      "removeConversation",
      `mutation { removeConversation(websiteId: "${W}", sessionId: "${MISSING_SESSION}") }`,
    ],
    ["removePerson", `mutation { removePerson(websiteId: "${W}", peopleId: "${MISSING_PERSON}") }`],
    [
      "updatePerson",
      `mutation { updatePerson(input: { websiteId: "${W}", peopleId: "${MISSING_PERSON}", nickname: "x" }) { peopleId } }`,
    ],
  ])("%s on something that does not exist fails with NOT_FOUND", async (_name, mutation) => {
    expect(code(await t.query(mutation))).toBe("NOT_FOUND");
  });

  it("creates and removes a conversation", async () => {
    takeWrites();
    const created = await t.query<{ createConversation: { sessionId: string; state: string } }>(
      `mutation($w: ID!) { createConversation(websiteId: $w) { sessionId state } }`,
      { w: W },
    );
    expect(created.errors).toBeUndefined();
    const sessionId = created.data?.createConversation.sessionId ?? "";
    expect(takeWrites()[0]).toEqual({
      request: `POST /website/${W}/conversation`,
      body: undefined,
    });
    expect(store.conversation(W, sessionId)).toBeDefined();
    const removed = await t.query(
      `mutation($w: ID!, $s: ID!) { removeConversation(websiteId: $w, sessionId: $s) }`,
      { w: W, s: sessionId },
    );
    expect(removed.data).toEqual({ removeConversation: true });
    const gone = await t.query(
      `query($s: ID!) { website { conversation(sessionId: $s) { sessionId } } }`,
      { s: sessionId },
    );
    expect(gone.data).toEqual({ website: { conversation: null } });
  });
});

describe("people", () => {
  const PERSON = `peopleId email nickname employment { title } company { name legalName } segments notepad`;

  it("creates, updates only what is given, and removes a person", async () => {
    takeWrites();
    const created = await t.query<{
      createPerson: { peopleId: string; email: string; nickname: string };
    }>(`mutation($input: PersonInput!) { createPerson(input: $input) { ${PERSON} } }`, {
      input: {
        websiteId: W,
        email: "ada@analytical.example",
        nickname: "Ada",
        company: { name: "Analytical", legalName: "Analytical Engines Ltd" },
        segments: ["lead"],
      },
    });
    expect(created.errors).toBeUndefined();
    const peopleId = created.data?.createPerson.peopleId ?? "";
    expect(takeWrites()[0]).toEqual({
      request: `POST /website/${W}/people/profile`,
      body: {
        email: "ada@analytical.example",
        person: { nickname: "Ada" },
        company: { name: "Analytical", legal_name: "Analytical Engines Ltd" },
        segments: ["lead"],
      },
    });

    const updated = await t.query<{
      updatePerson: {
        nickname: string;
        employment: { title: string };
        company: { name: string };
        segments: string[];
      };
    }>(`mutation($input: PersonInput!) { updatePerson(input: $input) { ${PERSON} } }`, {
      input: { websiteId: W, peopleId, employment: { title: "Countess" } },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data?.updatePerson).toMatchObject({
      nickname: "Ada",
      employment: { title: "Countess" },
      company: { name: "Analytical" },
      segments: ["lead"],
    });
    expect(takeWrites()[0]).toEqual({
      request: `PATCH /website/${W}/people/profile/${peopleId}`,
      body: { person: { employment: { title: "Countess" } } },
    });

    const read = await t.query<{ website: { person: { employment: { title: string } } } }>(
      `query($p: ID!) { website { person(peopleId: $p) { employment { title } } } }`,
      { p: peopleId },
    );
    expect(read.data?.website.person.employment.title).toBe("Countess");

    takeWrites();
    const removed = await t.query(
      `mutation($w: ID!, $p: ID!) { removePerson(websiteId: $w, peopleId: $p) }`,
      { w: W, p: peopleId },
    );
    expect(removed.data).toEqual({ removePerson: true });
    expect(takeWrites()[0]?.request).toBe(`DELETE /website/${W}/people/profile/${peopleId}`);
    const gone = await t.query(`query($p: ID!) { website { person(peopleId: $p) { email } } }`, {
      p: peopleId,
    });
    expect(gone.data).toEqual({ website: { person: null } });
  });

  it.each([
    ["createPerson without email", { websiteId: W, nickname: "x" }, "createPerson", "input.email"],
    [
      "createPerson with a peopleId",
      { websiteId: W, peopleId: MISSING_PERSON, email: "a@b.co" },
      "createPerson",
      "input.peopleId",
    ],
    [
      "createPerson with a bad email",
      { websiteId: W, email: "not-an-email" },
      "createPerson",
      "input.email",
    ],
    [
      "updatePerson without peopleId",
      { websiteId: W, nickname: "x" },
      "updatePerson",
      "input.peopleId",
    ],
    [
      "updatePerson with nothing to change",
      { websiteId: W, peopleId: MISSING_PERSON },
      "updatePerson",
      "input",
    ],
    [
      "a nickname of 1,000 characters",
      { websiteId: W, peopleId: MISSING_PERSON, nickname: "x".repeat(1000) },
      "updatePerson",
      "input.nickname",
    ],
    [
      "a timezone off the clock",
      { websiteId: W, peopleId: MISSING_PERSON, timezone: 5000 },
      "updatePerson",
      "input.timezone",
    ],
  ])(
    "refuses %s with BAD_USER_INPUT and no Crisp request",
    async (_name, input, mutation, field) => {
      takeWrites();
      const response = await t.query(
        `mutation($input: PersonInput!) { ${mutation}(input: $input) { peopleId } }`,
        { input },
      );
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(takeWrites()).toEqual([]);
    },
  );

  it("maps Crisp's invalid_data to BAD_USER_INPUT with Crisp's reason", async () => {
    t.simulator.configure({
      errors: { status: 400, rate: 1, reason: "invalid_data", match: /\/people\/profile$/ },
    });
    try {
      const response = await t.query(
        `mutation { createPerson(input: { websiteId: "${W}", email: "grace@navy.example" }) { peopleId } }`,
      );
      expect(response.errors?.[0]?.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        crispReason: "invalid_data",
      });
    } finally {
      t.simulator.configure({ errors: null });
    }
  });
});

describe("websites", () => {
  const asUser = userTierGateway(t.simulator);
  const run = (query: string, variables?: Record<string, unknown>) =>
    queryGateway(asUser, query, variables);

  it("refuses createWebsite and deleteWebsite with a plugin token, saying why, without asking Crisp", async () => {
    takeWrites();
    const created = await t.query(
      `mutation { createWebsite(name: "Acme", domain: "acme.example") { websiteId } }`,
    );
    expect(created.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN" });
    expect(created.errors?.[0]?.message).toMatch(/user-tier token/);
    const deleted = await t.query(
      `mutation { deleteWebsite(input: { websiteId: "${W}", method: "password", secret: "x" }) }`,
    );
    expect(deleted.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN" });
    expect(takeWrites()).toEqual([]);
  });

  it("creates and deletes a website with a user token", async () => {
    takeWrites();
    const created = await run(
      `mutation { createWebsite(name: "Acme Support", domain: "acme-support.example") { websiteId name domain } }`,
    );
    expect(created.errors).toBeUndefined();
    const website = (
      created.data as { createWebsite: { websiteId: string; name: string; domain: string } }
    ).createWebsite;
    expect(website).toMatchObject({ name: "Acme Support", domain: "acme-support.example" });
    expect(takeWrites()[0]).toEqual({
      request: "POST /website",
      body: { name: "Acme Support", domain: "acme-support.example" },
    });

    const wrongSecret = await run(
      `mutation($id: ID!) { deleteWebsite(input: { websiteId: $id, method: "password", secret: "guess" }) }`,
      { id: website.websiteId },
    );
    expect(wrongSecret.errors?.[0]?.extensions).toMatchObject({
      code: "FORBIDDEN",
      crispReason: "password_unverified",
    });
    takeWrites();
    const deleted = await run(
      `mutation($id: ID!) { deleteWebsite(input: { websiteId: $id, method: "password", secret: "demo-password" }) }`,
      { id: website.websiteId },
    );
    expect(deleted.data).toEqual({ deleteWebsite: true });
    expect(takeWrites()[0]).toEqual({
      request: `DELETE /website/${website.websiteId}`,
      body: { verify: { method: "password", secret: "demo-password" } },
    });
  });

  it.each([
    [
      "a domain that is not one",
      `mutation { createWebsite(name: "Acme", domain: "acme") { websiteId } }`,
      "domain",
    ],
    [
      "an empty name",
      `mutation { createWebsite(name: " ", domain: "acme.example") { websiteId } }`,
      "name",
    ],
    [
      "an unknown verification method",
      `mutation { deleteWebsite(input: { websiteId: "${W}", method: "sms", secret: "x" }) }`,
      "input.method",
    ],
  ])("refuses %s with BAD_USER_INPUT and no Crisp request", async (_name, mutation, field) => {
    takeWrites();
    const response = await run(mutation);
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(takeWrites()).toEqual([]);
  });
});

describe("every mutation", () => {
  const S = store.listConversations(W, {})[5]?.session_id ?? "";
  const F = store.messages(W, S)?.[0]?.fingerprint ?? 0;
  const P = store.people(W)[3]?.people_id ?? "";
  const O = store.operators(W)[0]?.details.user_id ?? "";
  const asUser = userTierGateway(t.simulator);
  const runAsUser = (query: string) => queryGateway(asUser, query);

  /** [name, a valid call, the route its write takes, an invalid call, the field it names] */
  const MUTATIONS: [string, string, RegExp, string, string][] = [
    [
      "createConversation",
      `mutation { createConversation(websiteId: "${W}") { sessionId } }`,
      /^POST .*\/conversation$/,
      `mutation { createConversation(websiteId: "x") { sessionId } }`,
      "websiteId",
    ],
    [
      "removeConversation",
      `mutation { removeConversation(websiteId: "${W}", sessionId: "${S}") }`,
      /^DELETE .*\/conversation\/session_[^/]+$/,
      `mutation { removeConversation(websiteId: "${W}", sessionId: "x") }`,
      "sessionId",
    ],
    [
      "setConversationState",
      `mutation { setConversationState(websiteId: "${W}", sessionId: "${S}", state: UNRESOLVED) { state } }`,
      /^PATCH .*\/state$/,
      `mutation { setConversationState(websiteId: "${W}", sessionId: "../x", state: UNRESOLVED) { state } }`,
      "sessionId",
    ],
    [
      "assignConversation",
      `mutation { assignConversation(websiteId: "${W}", sessionId: "${S}", operatorId: "${O}") { sessionId } }`,
      /^PATCH .*\/routing$/,
      `mutation { assignConversation(websiteId: "${W}", sessionId: "${S}", operatorId: "1") { sessionId } }`,
      "operatorId",
    ],
    [
      "updateConversationMeta",
      `mutation { updateConversationMeta(input: { websiteId: "${W}", sessionId: "${S}", subject: "Order" }) { sessionId } }`,
      /^PATCH .*\/meta$/,
      `mutation { updateConversationMeta(input: { websiteId: "${W}", sessionId: "${S}", subject: "${"x".repeat(300)}" }) { sessionId } }`,
      "input.subject",
    ],
    [
      "sendMessage",
      `mutation { sendMessage(input: { websiteId: "${W}", sessionId: "${S}", type: TEXT, from: USER, content: "hi" }) { fingerprint } }`,
      /^POST .*\/message$/,
      `mutation { sendMessage(input: { websiteId: "${W}", sessionId: "${S}", type: AUDIO, from: USER, content: "hi" }) { fingerprint } }`,
      "input.content",
    ],
    [
      "updateMessage",
      `mutation { updateMessage(input: { websiteId: "${W}", sessionId: "${S}", fingerprint: ${F}, content: "edited" }) { text } }`,
      /^PATCH .*\/message\/\d+$/,
      `mutation { updateMessage(input: { websiteId: "${W}", sessionId: "${S}", fingerprint: 0, content: "edited" }) { text } }`,
      "input.fingerprint",
    ],
    [
      "removeMessage",
      `mutation { removeMessage(websiteId: "${W}", sessionId: "${S}", fingerprint: ${F}) }`,
      /^DELETE .*\/message\/\d+$/,
      `mutation { removeMessage(websiteId: "${W}", sessionId: "${S}", fingerprint: 0) }`,
      "fingerprint",
    ],
    [
      "createPerson",
      `mutation { createPerson(input: { websiteId: "${W}", email: "new.person@example.com" }) { peopleId } }`,
      /^POST .*\/people\/profile$/,
      `mutation { createPerson(input: { websiteId: "${W}", email: "new.person@", nickname: "x" }) { peopleId } }`,
      "input.email",
    ],
    [
      "updatePerson",
      `mutation { updatePerson(input: { websiteId: "${W}", peopleId: "${P}", notepad: "Called" }) { peopleId } }`,
      /^PATCH .*\/people\/profile\/[^/]+$/,
      `mutation { updatePerson(input: { websiteId: "${W}", peopleId: "bob", notepad: "x" }) { peopleId } }`,
      "input.peopleId",
    ],
    [
      "removePerson",
      `mutation { removePerson(websiteId: "${W}", peopleId: "${P}") }`,
      /^DELETE .*\/people\/profile\/[^/]+$/,
      `mutation { removePerson(websiteId: "${W}", peopleId: "a/b") }`,
      "peopleId",
    ],
    [
      "createWebsite",
      `mutation { createWebsite(name: "Shop", domain: "shop.example") { websiteId } }`,
      /^POST \/website$/,
      `mutation { createWebsite(name: "Shop", domain: "shop") { websiteId } }`,
      "domain",
    ],
    [
      "deleteWebsite",
      `mutation { deleteWebsite(input: { websiteId: "${W}", method: "password", secret: "demo-password" }) }`,
      /^DELETE \/website\/[^/]+$/,
      `mutation { deleteWebsite(input: { websiteId: "${W}", method: "password", secret: "" }) }`,
      "input.secret",
    ],
  ];
  const send = (name: string, query: string) =>
    name.endsWith("Website") ? runAsUser(query) : t.query(query);
  const routeOf = (pattern: RegExp) =>
    new RegExp(pattern.source.replace(/^\^[A-Z]+ /, "^").replace(/^\^\.\*/, ""));

  it.each(MUTATIONS)(
    "%s refuses invalid input with BAD_USER_INPUT and no Crisp request",
    async (name, _valid, _route, invalid, field) => {
      takeWrites();
      const response = await send(name, invalid);
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(takeWrites()).toEqual([]);
    },
  );

  it.each(MUTATIONS)(
    "%s maps Crisp throttling to RATE_LIMITED and sends its write once",
    async (name, valid, route) => {
      t.simulator.configure({ errors: { status: 429, rate: 1, match: routeOf(route) } });
      takeWrites();
      try {
        const response = await send(name, valid);
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED" });
        expect(takeWrites().filter((w) => route.test(w.request)).length).toBe(
          name === "updateMessage" ? 0 : 1,
        );
      } finally {
        t.simulator.configure({ errors: null });
      }
    },
  );

  it.each(MUTATIONS)(
    "%s fails with NOT_FOUND when Crisp answers 404",
    async (name, valid, route) => {
      t.simulator.configure({ errors: { status: 404, rate: 1, match: routeOf(route) } });
      try {
        const response = await send(name, valid);
        expect(response.errors?.[0]?.extensions).toMatchObject({ code: "NOT_FOUND" });
      } finally {
        t.simulator.configure({ errors: null });
      }
    },
  );
});
