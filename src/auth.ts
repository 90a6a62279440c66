import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { z } from "zod";
import { isUuid } from "./crisp/ids.js";
import { ErrorCode, GatewayError } from "./errors.js";

/**
 * Who is asking, and what they may see. A viewer comes from an API key of GATEWAY_KEYS_FILE or
 * from a JWT; with no authentication configured (loopback only, or GATEWAY_AUTH=none) every
 * request is the open viewer.
 */
export interface Viewer {
  name: string;
  /** Website ids this viewer may see, or every website. */
  websites: ReadonlySet<string> | "*";
  access: "read" | "write";
  /**
   * Whether it may send raw Crisp calls (`crispRequest`): `raw: true` on its API key, or a
   * `raw: true` claim in its JWT. @default false
   */
  raw?: boolean;
  /**
   * Who it is for per-client limits and memories, when its name does not say it: a JWT's
   * subject (apart from any API key of that name), or the token itself when it has none.
   * @default `key:` and its name
   */
  client?: string;
}

/**
 * The viewer of a gateway with no authentication configured (loopback only, or
 * GATEWAY_AUTH=none): it may do everything, raw calls included.
 */
export const OPEN_VIEWER: Viewer = Object.freeze({
  name: "open",
  websites: "*",
  access: "write",
  raw: true,
});

export function canSee(viewer: Viewer, websiteId: string): boolean {
  return viewer.websites === "*" || viewer.websites.has(websiteId.toLowerCase());
}

/** The refusal a read viewer gets for any mutation, whatever the website. */
export function readOnlyError(viewer: Viewer): GatewayError {
  return new GatewayError(
    ErrorCode.FORBIDDEN,
    `The credentials "${viewer.name}" may only read: mutations need write access.`,
  );
}

export function requireWrite(viewer: Viewer): void {
  if (viewer.access !== "write") {
    throw readOnlyError(viewer);
  }
}

/** Raw Crisp calls only for viewers granted them: FORBIDDEN, before anything is sent. */
export function requireRaw(viewer: Viewer): void {
  if (viewer.raw !== true) {
    throw new GatewayError(
      ErrorCode.FORBIDDEN,
      `The credentials "${viewer.name}" may not send raw Crisp calls: give the API key "raw": true, or the JWT a raw: true claim.`,
    );
  }
}

const WebsitesSchema = z.union([
  z.tuple([z.literal("*")]),
  z.array(z.string().refine(isUuid, 'a Crisp website id (a UUID) or ["*"]')).min(1),
]);

const KeyEntrySchema = z
  .object({
    name: z.string().min(1).max(100),
    key: z.string().min(16, "a key of at least 16 characters").optional(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/i, "the hex SHA-256 of the key")
      .optional(),
    websites: WebsitesSchema,
    access: z.enum(["read", "write"]),
    raw: z.boolean().optional(),
  })
  .refine((entry) => (entry.key === undefined) !== (entry.sha256 === undefined), {
    message: 'give exactly one of "key" and "sha256"',
  });

const KeysFileSchema = z.array(KeyEntrySchema).min(1);

function toWebsites(websites: readonly string[]): Viewer["websites"] {
  return websites[0] === "*" ? "*" : new Set(websites.map((id) => id.toLowerCase()));
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** API keys by the SHA-256 of the key: a key file may hold hashes only, never the keys. */
export function loadKeysFile(path: string): Map<string, Viewer> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(
      `GATEWAY_KEYS_FILE: cannot read ${path} as JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const result = KeysFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `GATEWAY_KEYS_FILE: entry ${String(issue?.path.join(".") ?? "")}: expected ${issue?.message ?? "a valid key entry"}.`,
    );
  }
  const keys = new Map<string, Viewer>();
  for (const entry of result.data) {
    const hash = (entry.sha256 ?? sha256(entry.key ?? "")).toLowerCase();
    keys.set(
      hash,
      Object.freeze({
        name: entry.name,
        websites: toWebsites(entry.websites),
        access: entry.access,
        raw: entry.raw === true,
      }),
    );
  }
  return keys;
}

export interface JwtOptions {
  /** HS256 shared secret. */
  secret?: string | undefined;
  /** A JWKS URL (RS256, ES256…). */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
}

export interface AuthOptions {
  keys?: Map<string, Viewer> | undefined;
  jwt?: JwtOptions | undefined;
}

export type Authenticator = (authorization: string | null | undefined) => Promise<Viewer>;

function unauthenticated(message: string): GatewayError {
  const error = new GatewayError(ErrorCode.UNAUTHENTICATED, message);
  // Yoga answers HTTP 401 for an error thrown while building the context.
  error.extensions.http = {
    status: 401,
    headers: { "www-authenticate": 'Bearer realm="crisp-graphql-gateway"' },
  };
  return error;
}

/**
 * Turns an `Authorization` header into a viewer, or throws UNAUTHENTICATED. Keys are looked up
 * by their hash (no key is ever compared as text); JWTs are verified with jose, and their
 * `websites` and `access` claims say what they may see.
 */
export function createAuthenticator({ keys, jwt }: AuthOptions): Authenticator | null {
  const hasJwt = jwt !== undefined && (jwt.secret !== undefined || jwt.jwksUrl !== undefined);
  if ((keys === undefined || keys.size === 0) && !hasJwt) {
    return null;
  }
  const secret = jwt?.secret === undefined ? undefined : new TextEncoder().encode(jwt.secret);
  const jwks = jwt?.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(jwt.jwksUrl));
  return async (authorization) => {
    const match = /^Bearer\s+(\S{1,4096})$/i.exec(authorization?.trim() ?? "");
    const token = match?.[1];
    if (token === undefined) {
      throw unauthenticated("Missing credentials: send Authorization: Bearer <API key or JWT>.");
    }
    const tokenHash = sha256(token);
    const byKey = keys?.get(tokenHash);
    if (byKey !== undefined) {
      return byKey;
    }
    if (hasJwt && token.split(".").length === 3) {
      let payload: JWTPayload;
      try {
        const options = {
          ...(jwt?.issuer === undefined ? {} : { issuer: jwt.issuer }),
          ...(jwt?.audience === undefined ? {} : { audience: jwt.audience }),
        };
        payload = secret
          ? (await jwtVerify(token, secret, { ...options, algorithms: ["HS256"] })).payload
          : (await jwtVerify(token, jwks as ReturnType<typeof createRemoteJWKSet>, options))
              .payload;
      } catch {
        throw unauthenticated("The token is invalid or expired.");
      }
      const websites = WebsitesSchema.safeParse(payload.websites);
      const access = z.enum(["read", "write"]).safeParse(payload.access);
      if (!websites.success || !access.success) {
        throw unauthenticated('The token lacks valid "websites" and "access" claims.');
      }
      const subject = typeof payload.sub === "string" ? payload.sub : undefined;
      return Object.freeze({
        name: subject ?? "jwt",
        websites: toWebsites(websites.data),
        access: access.data,
        // Only a literal true grants raw calls.
        raw: payload.raw === true,
        // Tokens without a subject share the name "jwt", not a client: each is its own.
        client: subject === undefined ? `jwt-token:${tokenHash.slice(0, 32)}` : `jwt:${subject}`,
      });
    }
    throw unauthenticated("Unknown credentials.");
  };
}

/**
 * Everything a viewer may do, as text: two viewers with the same key see the same answers. What
 * whole responses, cost estimates and shared subscriptions are keyed by. Not the name alone:
 * every JWT without a subject is named "jwt", and one subject's tokens may grant different
 * websites. Not JSON.stringify either: a set of websites is `{}` to it.
 */
export function viewerKey(viewer: Viewer): string {
  const websites = viewer.websites === "*" ? "*" : [...viewer.websites].sort().join(",");
  return JSON.stringify([viewer.name, viewer.access, viewer.raw === true, websites]);
}

/**
 * Who a client is for per-client limits and memories (rate limit, subscriptions, APQ): an API
 * key's name (the keys of one name, as in a rotation, are one client), a JWT's subject or the
 * token, or its address when the gateway runs open (every open client is the same viewer).
 */
export function clientKeyOf(viewer: Viewer | undefined, remoteAddress: string | undefined): string {
  // By identity: an API key or a JWT subject named "open" is not the open viewer.
  return viewer === undefined || viewer === OPEN_VIEWER
    ? `open:${remoteAddress ?? "?"}`
    : (viewer.client ?? `key:${viewer.name}`);
}

/** Whether a viewer may see every website (and so the gateway's process-wide counters). */
export function seesEveryWebsite(viewer: Viewer): boolean {
  return viewer.websites === "*";
}
