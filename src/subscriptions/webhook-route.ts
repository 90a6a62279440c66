import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { LRUCache } from "lru-cache";
import { isSessionId, isUuid } from "../crisp/ids.js";
import { type HookCheck, verifyPluginHook, verifyWebsiteHook } from "../crisp/webhook.js";
import { ALL_EVENTS, BusTopic, type CrispEventPubSub, type CrispHookEvent } from "./event-bus.js";

export const WEBHOOK_PATH = "/webhooks/crisp";

export interface WebhookRouteOptions {
  pubsub: CrispEventPubSub;
  /** Plugin hooks' signing secret (CRISP_HOOK_SECRET). */
  secret?: string | undefined;
  /** Website hooks' `?key=` (CRISP_HOOK_KEY). */
  key?: string | undefined;
  /** Largest accepted body. @default 262_144 (256 KiB: Crisp's hooks are a few KiB) */
  maxBodyBytes?: number;
  /** Told about each hook's outcome (metrics, logs). */
  onOutcome?: (outcome: { status: number; event?: string; duplicate?: boolean }) => void;
}

/**
 * `POST /webhooks/crisp`: verify, answer 200 at once, then publish. Every refusal has its own
 * status and message, and nothing a sender does can throw past this handler.
 */
export function createWebhookRoute({
  pubsub,
  secret,
  key,
  maxBodyBytes = 262_144,
  onOutcome,
}: WebhookRouteOptions): (request: IncomingMessage, response: ServerResponse) => void {
  // Crisp retries deliveries (X-Delivery-Attempt-*): the same body may arrive again, with a
  // new timestamp and signature. Remember processed bodies long enough to cover its retries.
  const processed = new LRUCache<string, true>({ max: 50_000, ttl: 60 * 60_000 });

  const answer = (
    response: ServerResponse,
    status: number,
    body: Record<string, unknown>,
    event?: string,
  ) => {
    onOutcome?.({
      status,
      ...(event === undefined ? {} : { event }),
      ...(body.duplicate ? { duplicate: true } : {}),
    });
    if (response.headersSent) {
      return;
    }
    response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    response.end(JSON.stringify(body));
  };

  return (request, response) => {
    if (request.method !== "POST") {
      response.setHeader("allow", "POST");
      answer(response, 405, { error: "Web hooks are POSTed." });
      request.resume();
      return;
    }
    if (secret === undefined && key === undefined) {
      answer(response, 403, {
        error:
          "Web hooks are not configured on this gateway (set CRISP_HOOK_SECRET or CRISP_HOOK_KEY).",
      });
      request.resume();
      return;
    }
    const declared = Number(request.headers["content-length"] ?? "0");
    if (declared > maxBodyBytes) {
      answer(response, 413, { error: `The body is larger than ${maxBodyBytes} bytes.` });
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes && !refused) {
        refused = true;
        answer(response, 413, { error: `The body is larger than ${maxBodyBytes} bytes.` });
      }
      if (!refused) {
        chunks.push(chunk);
      }
    });
    request.on("error", () => {
      refused = true;
    });
    request.on("end", () => {
      if (refused) {
        return;
      }
      try {
        handleBody(request, response, Buffer.concat(chunks));
      } catch {
        answer(response, 400, { error: "The hook could not be read." });
      }
    });
  };

  function handleBody(request: IncomingMessage, response: ServerResponse, rawBody: Buffer) {
    const check = authenticate(request, rawBody);
    if (!check.ok) {
      answer(response, check.status, { error: check.message });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody.toString("utf8"));
    } catch {
      answer(response, 400, { error: "The body is not valid JSON." });
      return;
    }
    const event = toEvent(parsed);
    if (typeof event === "string") {
      answer(response, 422, { error: event });
      return;
    }
    const fingerprint = createHash("sha256").update(rawBody).digest("hex");
    if (processed.has(fingerprint)) {
      answer(response, 200, { ok: true, duplicate: true }, event.name);
      return;
    }
    processed.set(fingerprint, true);
    answer(response, 200, { ok: true }, event.name);
    // Crisp only needs to know the hook arrived; relaying happens after the answer.
    setImmediate(() => {
      pubsub.publish(BusTopic.ANY, ALL_EVENTS, event);
      pubsub.publish(BusTopic.EVENT, event.websiteId, event);
    });
  }

  function authenticate(request: IncomingMessage, rawBody: Buffer): HookCheck {
    const signature = header(request, "x-crisp-signature");
    if (signature !== undefined) {
      if (secret === undefined) {
        return {
          ok: false,
          status: 403,
          message: "Signed (plugin) hooks are not configured: set CRISP_HOOK_SECRET.",
        };
      }
      return verifyPluginHook({
        secret,
        timestamp: header(request, "x-crisp-request-timestamp"),
        signature,
        rawBody,
      });
    }
    if (key !== undefined) {
      const given = new URL(request.url ?? "/", "http://gateway").searchParams.get("key");
      return verifyWebsiteHook(key, given);
    }
    return { ok: false, status: 401, message: "Missing X-Crisp-Signature header." };
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The hook body Crisp sends (crisp-api.md §5.2), or why it is not one. */
function toEvent(body: unknown): CrispHookEvent | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return "The body must be a JSON object {website_id, event, data, timestamp}.";
  }
  const { website_id: websiteId, event, data, timestamp } = body as Record<string, unknown>;
  if (typeof websiteId !== "string" || !isUuid(websiteId)) {
    return "website_id must be a Crisp website id.";
  }
  if (typeof event !== "string" || !/^[a-z_]+(:[a-z_]+){1,3}$/.test(event)) {
    return "event must be a Crisp event name such as message:send.";
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return "data must be an object.";
  }
  const fields = data as Record<string, unknown>;
  const sessionId =
    typeof fields.session_id === "string" && isSessionId(fields.session_id)
      ? fields.session_id
      : null;
  return {
    name: event,
    websiteId: websiteId.toLowerCase(),
    sessionId,
    data: fields,
    timestamp: typeof timestamp === "number" && Number.isFinite(timestamp) ? timestamp : Date.now(),
  };
}
