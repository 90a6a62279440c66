/**
 * The RTM API as the simulator speaks it (crisp-api.md §6): a Socket.IO server of its own, on
 * its own port as Crisp's relay is on its own host, that `/…/connect/endpoints` names as
 * `socket.app`. A client emits `authentication` exactly as Crisp's Node library does
 * (`{ username: identifier, password: key, tier, events: [...] }`); a token the simulator
 * accepts is answered `authenticated` (true), anything else `unauthorized`. From then on it
 * gets every event the write routes cause, named as the web hook event with the hook's `data`,
 * for the websites the token was bound to when it authenticated or last sent `socket:bind`,
 * and only the event names it asked for (and `plugin:subscription:updated` of a website just
 * bound: how the plugin learns it must rebind).
 *
 * Our inferred choices [I]: a payload of another shape, an empty event list or a second
 * `authentication` with other credentials are `unauthorized` too; an `unauthorized` socket
 * stays connected and receives nothing (Crisp documents neither).
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Socket, Server as SocketServer } from "socket.io";
import { RtmEvent, RtmMessage, type Tier } from "./protocol.js";
import type { SimulatorEvent, SimulatorToken } from "./types.js";

/** One `authentication` the simulator answered, as `Simulator.rtm.authentications` keeps it. */
export interface RtmAuthentication {
  ok: boolean;
  /** The `username` sent (the token identifier), when it was a string. */
  username: string | null;
  tier: string | null;
  events: string[];
  at: number;
}

interface Bound {
  token: SimulatorToken;
  websites: Set<string>;
  events: Set<string>;
}

export class RtmServer {
  readonly authentications: RtmAuthentication[] = [];
  readonly #http: Server;
  readonly #io: SocketServer;
  readonly #tokens: SimulatorToken[];
  readonly #bound = new Map<Socket, Bound>();
  readonly #listeners = new Set<(authentication: RtmAuthentication) => void>();
  readonly #bindListeners = new Set<(username: string) => void>();
  #url = "";

  constructor(tokens: SimulatorToken[]) {
    this.#tokens = tokens;
    this.#http = createServer();
    // Crisp's relay speaks WebSocket only, as the official SDK connects (crisp-api.md §6).
    this.#io = new SocketServer(this.#http, { path: "/", transports: ["websocket"] });
    this.#io.on("connection", (socket) => this.#accept(socket));
  }

  /** `socket.app` as `/…/connect/endpoints` answers it. */
  get url(): string {
    return this.#url;
  }

  /** Sockets connected now, authenticated or not. */
  get connected(): number {
    return this.#io.of("/").sockets.size;
  }

  /** Sockets authenticated now. */
  get authenticated(): number {
    return this.#bound.size;
  }

  async listen(host: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#http.once("error", reject);
      this.#http.listen(0, host, () => {
        this.#http.off("error", reject);
        resolve();
      });
    });
    const address = this.#http.address() as AddressInfo;
    const hostname = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.#url = `http://${hostname}:${address.port}/`;
    return this.#url;
  }

  /** Calls `listener` with every later authentication answered; returns the unsubscribe. */
  onAuthentication(listener: (authentication: RtmAuthentication) => void): () => void {
    const entry = (authentication: RtmAuthentication) => listener(authentication);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Calls `listener` with the token identifier after every later `socket:bind` is applied;
   * returns the unsubscribe.
   */
  onBind(listener: (username: string) => void): () => void {
    const entry = (username: string) => listener(username);
    this.#bindListeners.add(entry);
    return () => {
      this.#bindListeners.delete(entry);
    };
  }

  /** Sends `event` to every authenticated socket bound to its website that asked for it. */
  emit(event: SimulatorEvent): void {
    for (const [socket, bound] of this.#bound) {
      // The plugin learns of a new installation before it rebinds (that is why it rebinds).
      const reaches =
        bound.websites.has(event.website_id) ||
        (event.event === RtmEvent.PLUGIN_SUBSCRIPTION_UPDATED &&
          bound.token.websiteIds.includes(event.website_id));
      if (reaches && bound.events.has(event.event)) {
        socket.emit(event.event, event.data);
      }
    }
  }

  /**
   * Drops every connection as a network failure would (the transport closes; the server did
   * not say goodbye), so clients reconnect on their own.
   */
  drop(): void {
    for (const socket of this.#io.of("/").sockets.values()) {
      this.#bound.delete(socket);
      socket.conn.close();
    }
  }

  async close(): Promise<void> {
    this.#bound.clear();
    this.#listeners.clear();
    this.#bindListeners.clear();
    await this.#io.close();
    this.#http.closeAllConnections();
  }

  #accept(socket: Socket): void {
    socket.on(RtmMessage.AUTHENTICATION, (payload: unknown) => {
      const authentication = this.#authenticate(socket, payload);
      this.authentications.push(authentication);
      socket.emit(authentication.ok ? RtmMessage.AUTHENTICATED : RtmMessage.UNAUTHORIZED, true);
      for (const listener of [...this.#listeners]) {
        listener(authentication);
      }
    });
    socket.on(RtmMessage.BIND, () => {
      const bound = this.#bound.get(socket);
      if (bound === undefined) {
        return;
      }
      bound.websites = new Set(bound.token.websiteIds);
      for (const listener of [...this.#bindListeners]) {
        listener(bound.token.identifier);
      }
    });
    socket.on("disconnect", () => {
      this.#bound.delete(socket);
    });
  }

  #authenticate(socket: Socket, payload: unknown): RtmAuthentication {
    const fields =
      typeof payload === "object" && payload !== null && !Array.isArray(payload)
        ? (payload as Record<string, unknown>)
        : {};
    const { username, password, tier, events } = fields;
    const names = Array.isArray(events)
      ? events.filter((name): name is string => typeof name === "string")
      : [];
    const token =
      typeof username === "string" && typeof password === "string" && typeof tier === "string"
        ? this.#tokens.find(
            (candidate) =>
              candidate.identifier === username &&
              candidate.key === password &&
              candidate.tier === (tier as Tier),
          )
        : undefined;
    const ok =
      token !== undefined &&
      Array.isArray(events) &&
      names.length === events.length &&
      names.length > 0;
    if (ok) {
      this.#bound.set(socket, {
        token,
        websites: new Set(token.websiteIds),
        events: new Set(names),
      });
    } else {
      this.#bound.delete(socket);
    }
    return {
      ok,
      username: typeof username === "string" ? username : null,
      tier: typeof tier === "string" ? tier : null,
      events: names,
      at: Date.now(),
    };
  }
}
