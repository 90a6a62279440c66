import { createHmac } from "node:crypto";

/**
 * Signs a hook as Crisp does (crisp-api.md §5.3), with node:crypto directly rather than the
 * gateway's own signer, so a gateway test cannot pass on a formula the gateway got wrong
 * (test/hook-signature.test.ts pins it to values computed with OpenSSL).
 */
export function signPluginHook(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`[${timestamp};${body}]`).digest("hex");
}

export const HOOK_SECRET = "0123456789abcdef0123456789abcdef";
export const HOOK_KEY = "website-hook-key-3f9a";

/** Posts a hook body as Crisp's plugin hooks do: compact JSON, signed `[timestamp;body]`. */
export async function postPluginHook(
  hookUrl: string,
  body: unknown,
  {
    secret = HOOK_SECRET,
    timestamp = String(Date.now()),
    signature,
    rawBody,
    headers = {},
  }: {
    secret?: string;
    timestamp?: string;
    signature?: string;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const text = rawBody ?? JSON.stringify(body);
  const response = await fetch(hookUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-crisp-hook-origin": "plugin/rtm 38b411d9377a6a00 production",
      "x-crisp-request-timestamp": timestamp,
      "x-crisp-signature": signature ?? signPluginHook(secret, timestamp, text),
      ...headers,
    },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A hook body of Crisp's shape (crisp-api.md §5.2). */
export function hookBody(websiteId: string, event: string, data: Record<string, unknown>) {
  return {
    website_id: websiteId,
    event,
    data: { website_id: websiteId, ...data },
    timestamp: Date.now(),
  };
}
