import { CRISP_MESSAGES_BATCH, type CrispMessage } from "../../crisp/types.js";
import { badUserInput } from "../../errors.js";
import { builder } from "../builder.js";
import { ConversationRef } from "../conversation/type.js";
import { chargeNextPage } from "../stream.js";
import { MessageRef } from "./type.js";

/**
 * A conversation's whole history, streamed (`@stream`): every `/messages` batch back in time,
 * for exports. Metered by batch, as every streamed list is (src/schema/stream.ts).
 */

/** Messages one streamed history delivers at most: Crisp keeps about 10,000 a conversation. */
const MAX_STREAMED_MESSAGES = 20_000;

builder.objectFields(ConversationRef, (t) => ({
  allMessages: t.field({
    type: [MessageRef],
    description:
      "Every message of the conversation, newest first, for exports: select it with @stream (without, it is refused) and messages arrive a batch at a time, as GET /website/{website_id}/conversation/{session_id}/messages answers them back in time (timestamp_before; timestamp_after with `since`), each exactly once (messages sharing a millisecond across two batches included). Messages sent after the stream began may not come. Metered by batch: each batch may spend what the estimate says one costs.",
    crispCost: { requests: 1, items: CRISP_MESSAGES_BATCH, stream: true },
    args: {
      since: t.arg({
        type: "DateTime",
        description: "Only messages after this time (Crisp's timestamp_after).",
      }),
      until: t.arg({
        type: "DateTime",
        description: "Only messages before this time (Crisp's timestamp_before).",
      }),
    },
    checkArgs: (args) => {
      if (args.since && args.until && args.since >= args.until) {
        throw badUserInput("until", "must be after since.");
      }
    },
    resolve: async function* (conversation, args, ctx, info) {
      const since = args.since?.getTime();
      let before = args.until?.getTime();
      const seen = new Set<number>();
      for (;;) {
        const batch = await ctx.loaders.messageBatch(
          conversation.website_id,
          conversation.session_id,
          before,
          since,
        );
        const fresh = batch.messages
          .filter(
            (message: CrispMessage) =>
              !seen.has(message.fingerprint) && (since === undefined || message.timestamp > since),
          )
          .sort((a, b) => b.timestamp - a.timestamp);
        for (const message of fresh) {
          seen.add(message.fingerprint);
          yield message;
        }
        const oldest = Math.min(...batch.messages.map((message) => message.timestamp));
        if (
          !batch.hasOlder ||
          !Number.isFinite(oldest) ||
          (since !== undefined && oldest <= since) ||
          seen.size >= MAX_STREAMED_MESSAGES
        ) {
          return;
        }
        // The next batch starts at the oldest millisecond again, so messages sharing it that
        // did not fit this batch come too (the seen ones are skipped); when that brings nothing
        // new, strictly before it.
        const overlapping = oldest + 1;
        before =
          fresh.length === 0 || (before !== undefined && overlapping >= before)
            ? oldest
            : overlapping;
        chargeNextPage(ctx, info);
      }
    },
  }),
}));
