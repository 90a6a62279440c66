import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { brotliCompress, gzip, constants as zlib } from "node:zlib";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { type Plugin, shouldRenderGraphiQL } from "graphql-yoga";
import { Route } from "./protocol.js";

/**
 * What GraphiQL opens on: the README's dashboard query (Relay `edges`, every `id`, as Apollo
 * Client's cache wants them), then a subscription to the same website, so a first visit shows
 * data and, in demo mode, a live event within seconds.
 */
export function graphiqlDefaultQuery(websiteId: string | undefined): string {
  const subscribeTo = websiteId ?? "<the websiteId the Dashboard query returns>";
  return `# Welcome to the Crisp GraphQL gateway.
# Every field's description says which Crisp endpoint backs it and what it costs.
# Press the run button and choose "Dashboard" to read the default website's latest
# conversations, or "Live" to wait for its next Crisp event (in demo mode, within seconds).
query Dashboard {
  website {
    id
    websiteId
    name
    conversations(first: 20) {
      edges {
        node {
          id
          sessionId
          state
          meta { nickname email }
          person { id email company { name } }
          assignee { id firstName }
          messages(last: 5) { edges { node { id type text from timestamp } } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
  gateway { demo upstreamRequests quotaUsed quotaLimit }
}

subscription Live {
  crispEvents(websiteId: "${subscribeTo}") { name websiteId sessionId timestamp data }
}
`;
}

export interface GraphiQLPageOptions {
  title: string;
  defaultQuery: string;
}

/**
 * GraphiQL with every asset inside the page (Yoga's render-graphiql: CSS, JavaScript and the
 * editor's workers inlined, the favicon a data URL), so it works with no internet access and
 * loads nothing from another host. Subscriptions go over graphql-ws, which CSRF prevention
 * does not concern (Yoga's default, SSE over GET, would need a CSRF header GraphiQL does not
 * send). The page is about 9 MB: it is rendered and compressed once, on first use, and
 * served gzip or brotli with an ETag.
 */
export function useGraphiQLPage({ title, defaultQuery }: GraphiQLPageOptions): Plugin {
  let page: Promise<CompressedPage> | undefined;
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== Route.graphql || !shouldRenderGraphiQL(request)) {
        return;
      }
      page ??= compressPage(renderGraphiQL({ title, defaultQuery, subscriptionsProtocol: "WS" }));
      return page.then((compressed) => {
        endResponse(respond(compressed, request, fetchAPI.Response));
      });
    },
  };
}

interface CompressedPage {
  etag: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

async function compressPage(html: string): Promise<CompressedPage> {
  const identity = Buffer.from(html, "utf8");
  const [gzipped, brotli] = await Promise.all([
    promisify(gzip)(identity),
    // Quality 5: within a few per cent of 11's size, in a fraction of its time.
    promisify(brotliCompress)(identity, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: 5,
        [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length,
      },
    }),
  ]);
  const etag = `"graphiql-${createHash("sha256").update(identity).digest("hex").slice(0, 16)}"`;
  return { etag, identity, gzip: gzipped, br: brotli };
}

function respond(page: CompressedPage, request: Request, ResponseImpl: typeof Response): Response {
  const headers: Record<string, string> = {
    "content-type": "text/html; charset=utf-8",
    etag: page.etag,
    vary: "accept-encoding",
    // Revalidate on every visit: a restarted gateway may serve another page.
    "cache-control": "no-cache",
  };
  if (request.headers.get("if-none-match") === page.etag) {
    return new ResponseImpl(null, { status: 304, headers });
  }
  const encoding = preferredEncoding(request.headers.get("accept-encoding"));
  if (encoding !== "identity") {
    headers["content-encoding"] = encoding;
  }
  const body = page[encoding];
  headers["content-length"] = String(body.length);
  return new ResponseImpl(new Uint8Array(body), { status: 200, headers });
}

/** br, else gzip, else none: whatever the client accepts (q=0 refuses). */
export function preferredEncoding(acceptEncoding: string | null): "br" | "gzip" | "identity" {
  const accepted = new Set<string>();
  for (const part of (acceptEncoding ?? "").split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((param) => param.trim()).find((param) => param.startsWith("q="));
    if (name !== "" && (q === undefined || Number(q.slice(2)) > 0)) {
      accepted.add(name);
    }
  }
  if (accepted.has("br")) {
    return "br";
  }
  if (accepted.has("gzip") || accepted.has("*")) {
    return "gzip";
  }
  return "identity";
}
