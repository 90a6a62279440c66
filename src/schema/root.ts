import { builder } from "./builder.js";

builder.queryType({ description: "Reads of the Crisp workspace behind this gateway." });

builder.mutationType({
  description:
    "Crisp writes. Each sends exactly one Crisp write request (never retried by the gateway), then reads the changed object back where the result needs it. Input is checked first: a bad input costs no Crisp request.",
});
