/**
 * A Crisp simulator in a process of its own (bench/remote/simulator.ts starts it): Crisp runs
 * on machines of its own, so the time it spends answering must not be taken from the client
 * under measurement. Asked over the IPC channel, one message per call.
 */
import type { SimulatorKnobs, WireMessage } from "../../src/simulator/index.js";
import { startSimulator } from "../../src/simulator/index.js";
import type { SimulatorCall, SimulatorReply, SimulatorStarted } from "./simulator.js";

const send = (message: SimulatorStarted | SimulatorReply) =>
  new Promise<void>((resolve, reject) =>
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve())),
  );

const options = JSON.parse(process.argv[2] ?? "{}") as { seed?: number; latencyMs?: number };
const simulator = await startSimulator(options);

/** Replaces a conversation's history with `count` messages (one a second). */
function seedHistory(index: number, count: number): string {
  const websiteId = simulator.defaultWebsiteId;
  const conversation = simulator.store.listConversations(websiteId, { includeEmpty: false })[index];
  const messages = simulator.store.messages(websiteId, conversation?.session_id ?? "");
  const model = messages?.[0];
  if (conversation === undefined || messages === undefined || model === undefined) {
    throw new Error("the seed has no conversation with messages");
  }
  const history: WireMessage[] = Array.from({ length: count }, (_, i) => ({
    ...model,
    timestamp: model.timestamp + i * 1_000,
    fingerprint: 800_000_000 + index * 10_000 + i,
  }));
  messages.splice(0, messages.length, ...history);
  return conversation.session_id;
}

function answer(call: SimulatorCall): unknown {
  switch (call.op) {
    case "requests":
      return simulator.requests;
    case "clearRequests":
      simulator.clearRequests();
      return null;
    case "configure":
      simulator.configure(call.knobs as Partial<SimulatorKnobs>);
      return null;
    case "seedHistory":
      return seedHistory(call.index, call.count);
  }
}

process.on("message", (call: SimulatorCall) => {
  let reply: SimulatorReply;
  try {
    reply = { id: call.id, ok: true, value: answer(call) };
  } catch (error) {
    reply = {
      id: call.id,
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  void send(reply);
});
// The parent going away (or closing the channel) ends the simulator: nothing outlives the run.
process.on("disconnect", () => {
  void simulator.close().then(() => process.exit(0));
});

await send({
  ready: {
    url: simulator.url,
    credentials: simulator.credentials,
    defaultWebsiteId: simulator.defaultWebsiteId,
  },
});
