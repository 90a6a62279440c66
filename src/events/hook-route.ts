import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  HOOK_TIMESTAMP_WINDOW_MS,
  type HookCheck,
  verifyPluginHook,
  verifyWebsiteHook,
} from "../crisp/webhook.js";
import { closeAfterAnswer, readBody } from "../http/body.js";
import type { EventSource, IncomingEvent } from "./event.js";
import { readHookBody } from "./hook-body.js";

export const WEBHOOK_PATH = "/webhooks/crisp";

/** What recording an event came to: recorded (with its id), or a redelivery already recorded. */
export type IngestResult = { recorded: true; id: string } | { recorded: false; duplicate: true };

/** The entry point every event source calls (src/events/pipeline.ts). */
export type Ingest = (
  event: IncomingEvent,
  options: { source: EventSource; dedupeKey: string | null },
) => Promise<IngestResult>;

/** One hook's outcome, for metrics and logs: never its body. */
export interface HookOutcome {
  status: number;
  event?: string;
  duplicate?: boolean;
  /** Why it was refused (a 4xx or 503). */
  reason?: string;
}

export interface WebhookRouteOptions {
  ingest: Ingest;
  /** Plugin hooks' signing secret (CRISP_HOOK_SECRET). */
  secret?: string | undefined;
  /** Website hooks' `?key=` (CRISP_HOOK_KEY). */
  key?: string | undefined;
  /** Largest accepted body. @default 262_144 (256 KiB: Crisp's hooks are a few KiB) */
  maxBodyBytes?: number;
  /**
   * How far a signed hook's timestamp may be from now, ms (CRISP_HOOK_WINDOW_MS); the
   * redelivery check remembers a body twice as long. @default HOOK_TIMESTAMP_WINDOW_MS (1 hour)
   */
  windowMs?: number;
  /** Told about each hook's outcome (metrics, logs). */
  onOutcome?: (outcome: HookOutcome) => void;
  /** Web hooks are off on purpose (CRISP_EVENTS=rtm): every hook is refused 403 with this. */
  off?: string;
}

/**
 * `POST /webhooks/crisp`: read (bounded), verify, parse (depth-limited), then record the event
 * in the event log, and only then answer 200: Crisp does not redeliver a hook it got a 2xx
 * for, so an event the log could not take is answered 503 for Crisp to retry. Every refusal
 * has its own status and message, and nothing a sender does can throw past this handler.
 */
export function createWebhookRoute({
  ingest,
  secret,
  key,
  maxBodyBytes = 262_144,
  windowMs = HOOK_TIMESTAMP_WINDOW_MS,
  onOutcome,
  off,
}: WebhookRouteOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const answer = (
    response: ServerResponse,
    status: number,
    body: Record<string, unknown>,
    outcome: Omit<HookOutcome, "status"> = {},
  ) => {
    onOutcome?.({
      status,
      ...outcome,
      ...(typeof body.error === "string" && outcome.reason === undefined
        ? { reason: body.error }
        : {}),
    });
    if (response.headersSent || response.destroyed) {
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
    if (off !== undefined) {
      answer(response, 403, { error: off });
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
    const tooLarge = () => {
      closeAfterAnswer(request, response);
      answer(response, 413, { error: `The body is larger than ${maxBodyBytes} bytes.` });
    };
    if (Number(request.headers["content-length"] ?? "0") > maxBodyBytes) {
      tooLarge();
      return;
    }
    void readBody(request, maxBodyBytes).then((read) => {
      if (read.kind === "too-large") {
        tooLarge();
        return;
      }
      if (read.kind === "aborted") {
        response.destroy();
        return;
      }
      handleBody(request, response, read.bytes).catch(() => {
        answer(response, 400, { error: "The hook could not be read." });
      });
    });
  };

  async function handleBody(request: IncomingMessage, response: ServerResponse, rawBody: Buffer) {
    const check = authenticate(request, rawBody);
    if (!check.ok) {
      answer(response, check.status, { error: check.message });
      return;
    }
    const read = readHookBody(rawBody);
    if (!read.ok) {
      answer(response, read.status, { error: read.message });
      return;
    }
    const { event } = read;
    // Crisp retries deliveries (X-Delivery-Attempt-*): the same body may arrive again, with a
    // new timestamp and signature. Its hash is the redelivery key (the body's own `timestamp`
    // is when the event occurred, so two genuine events differ).
    const dedupeKey = createHash("sha256").update(rawBody).digest("hex");
    let result: IngestResult;
    try {
      result = await ingest(event, { source: "hook", dedupeKey });
    } catch {
      response.setHeader("retry-after", "5");
      answer(
        response,
        503,
        { error: "The event could not be recorded now; retry later." },
        { event: event.name, reason: "event log unavailable" },
      );
      return;
    }
    if (result.recorded) {
      answer(response, 200, { ok: true, id: result.id }, { event: event.name });
    } else {
      answer(response, 200, { ok: true, duplicate: true }, { event: event.name, duplicate: true });
    }
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
        windowMs,
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
