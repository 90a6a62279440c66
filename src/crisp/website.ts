import { badUserInput } from "../errors.js";
import { type CrispClient, crispPath } from "./client.js";
import { isDomain, requireId } from "./ids.js";
import { nullIfNotFound } from "./not-found.js";
import type { CrispWebsite } from "./types.js";

/** `GET /website/{website_id}`; null when the website is missing or not reachable. */
export async function getWebsite(
  client: CrispClient,
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
  client: CrispClient,
  domain: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!isDomain(domain)) {
    throw badUserInput("domain", "expected a domain name such as example.com.");
  }
  return client.exists("/website", { domain }, signal);
}
