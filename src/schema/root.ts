import { builder } from "./builder.js";

builder.queryType({ description: "Reads of the Crisp workspace behind this gateway." });

builder.mutationType({
  description:
    "Crisp writes. Each sends exactly one Crisp write request (never retried by the gateway), then reads the changed object back where the result needs it. Input is checked first: a bad input costs no Crisp request.",
});

builder.subscriptionType({
  description:
    "Live Crisp events, from verified web hooks, over graphql-ws (same URL as HTTP) or Server-Sent Events. Each subscription only receives its website's events.",
});
