import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { signHook as gatewaySign, verifyPluginHook } from "../src/crisp/webhook.js";
import { signHook as simulatorSign } from "../src/simulator/index.js";
import { signPluginHook } from "./helpers/hooks.js";

/**
 * Known-answer vectors for `X-Crisp-Signature` (crisp-api.md §5.3): the lower-case hex
 * HMAC-SHA256, keyed with the plugin's hook secret, of `[<timestamp header>;<raw body>]`.
 * The expected values were computed by hand, outside our code, with OpenSSL:
 *
 *   BODY=$(node -e 'console.log(JSON.stringify(require("./test/fixtures/crisp/webhook-message-send.json")))')
 *   printf '[1506985696616;%s]' "$BODY" | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
 *   printf '[1506985696;%s]' "$BODY" | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
 *
 * The body is Crisp's own `message:send` hook sample, compacted as Crisp sends it. If the
 * simulator's signer and the gateway's verifier both agreed on a wrong formula, they would still
 * agree with each other; only a value computed elsewhere catches that.
 */

const SECRET = "0123456789abcdef0123456789abcdef";
const BODY = JSON.stringify(
  JSON.parse(
    readFileSync(new URL("./fixtures/crisp/webhook-message-send.json", import.meta.url), "utf8"),
  ),
);
const VECTORS = [
  {
    unit: "milliseconds",
    timestamp: "1506985696616",
    signature: "392177c997c0034194745c8412764065542bd4663dffab0bfa4b33f0b007d954",
  },
  {
    unit: "seconds",
    timestamp: "1506985696",
    signature: "26269818c1d0ffd8f17649898183b7cee8c58c9308612534f866d8d3b6517a12",
  },
] as const;

describe("the hook signature matches values computed by hand", () => {
  test("the body is the compact sample the vectors were computed over", () => {
    expect(BODY).toHaveLength(450);
    expect(BODY.startsWith('{"website_id":"42286ab3-b29a-4fde-8538-da0ae501d825","event"')).toBe(
      true,
    );
  });

  for (const { unit, timestamp, signature } of VECTORS) {
    test(`the simulator signs a ${unit} timestamp as OpenSSL does`, () => {
      expect(simulatorSign(SECRET, timestamp, BODY)).toBe(signature);
    });

    test(`the gateway signs a ${unit} timestamp as OpenSSL does, and accepts that signature`, () => {
      expect(gatewaySign(SECRET, timestamp, Buffer.from(BODY))).toBe(signature);
      const now = Number(timestamp) * (unit === "seconds" ? 1000 : 1);
      const check = { secret: SECRET, timestamp, rawBody: Buffer.from(BODY), now };
      expect(verifyPluginHook({ ...check, signature })).toEqual({ ok: true });
      expect(verifyPluginHook({ ...check, signature: signature.toUpperCase() })).toEqual({
        ok: true,
      });
    });

    test(`the gateway refuses the ${unit} vector once body, timestamp or secret differ`, () => {
      const now = Number(timestamp) * (unit === "seconds" ? 1000 : 1);
      const base = { secret: SECRET, timestamp, signature, now };
      const refused = {
        ok: false,
        status: 401,
        message: "X-Crisp-Signature does not match the body.",
      };
      expect(
        verifyPluginHook({ ...base, rawBody: Buffer.from(BODY.replace("Hey", "Hay")) }),
      ).toEqual(refused);
      expect(verifyPluginHook({ ...base, rawBody: Buffer.from(`${BODY} `) })).toEqual(refused);
      expect(
        verifyPluginHook({ ...base, secret: `${SECRET}0`, rawBody: Buffer.from(BODY) }),
      ).toEqual(refused);
      expect(
        verifyPluginHook({
          ...base,
          timestamp: String(Number(timestamp) + 1),
          rawBody: Buffer.from(BODY),
        }),
      ).toEqual(refused);
    });
  }

  test("the tests' own hook signer, independent of both, matches the vector", () => {
    const [vector] = VECTORS;
    expect(signPluginHook(SECRET, vector.timestamp, BODY)).toBe(vector.signature);
  });
});
