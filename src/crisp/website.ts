import { badUserInput } from "../errors.js";
import { requireAnsweredId } from "./answers.js";
import type { CrispApi } from "./client.js";
import { isDomain, requireId } from "./ids.js";
import { nullIfNotFound } from "./not-found.js";
import type { CrispWebsite } from "./types.js";
import { crispPath } from "./url.js";

/** `GET /website/{website_id}`; null when the website is missing or not reachable. */
export async function getWebsite(
  client: CrispApi,
  websiteId: string,
  signal?: AbortSignal,
): Promise<CrispWebsite | null> {
  requireId("websiteId", websiteId);
  return nullIfNotFound(
    client
      .request<CrispWebsite>({ method: "GET", path: crispPath`/website/${websiteId}`, signal })
      .then((response) => response.data),
  );
}

/** `HEAD /website?domain=`: whether any Crisp website uses this domain. */
export async function websiteExists(
  client: CrispApi,
  domain: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!isDomain(domain)) {
    throw badUserInput("domain", "expected a domain name such as example.com.");
  }
  return client.exists("/website", { domain }, signal);
}

/** `POST /website` (user tier only): answers the new `website_id`. */
export async function createWebsite(
  client: CrispApi,
  name: string,
  domain: string,
  signal?: AbortSignal,
): Promise<string> {
  const { data } = await client.request<{ website_id?: string }>({
    method: "POST",
    path: "/website",
    body: { name, domain },
    signal,
  });
  return requireAnsweredId(data.website_id, "website_id");
}

/**
 * `DELETE /website/{website_id}` (user tier only), verified by the account's password, a
 * token or Google, as Crisp's current API asks (crisp-api.md §4.1). Crisp schedules the
 * deletion rather than doing it at once.
 */
export async function deleteWebsite(
  client: CrispApi,
  websiteId: string,
  verify: { method: "password" | "token" | "google"; secret: string },
  signal?: AbortSignal,
): Promise<void> {
  requireId("websiteId", websiteId);
  await client.request({
    method: "DELETE",
    path: crispPath`/website/${websiteId}`,
    body: { verify },
    signal,
  });
}
