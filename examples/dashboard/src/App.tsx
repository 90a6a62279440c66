import { NetworkStatus } from "@apollo/client";
import { skipToken, useQuery, useSubscription } from "@apollo/client/react";
import { useState, useSyncExternalStore } from "react";
import type { Gateway } from "./apollo";
import { ConversationList } from "./ConversationList";
import { ConversationView } from "./ConversationView";
import { appendMessage } from "./cache-updates";
import { CONVERSATION_UPDATED, CONVERSATIONS, MESSAGE_ADDED, PAGE_SIZE } from "./operations";

/** The inbox: conversations on the left, the open one on the right, both kept live. */
export function App({ live }: { live: Gateway["live"] }) {
  const status = useSyncExternalStore(live.subscribe, live.get);
  const [selected, setSelected] = useState<string | null>(null);
  const { data, error, networkStatus, fetchMore } = useQuery(CONVERSATIONS, {
    variables: { first: PAGE_SIZE },
  });
  const website = data?.website;
  const websiteId = website?.websiteId;

  // A pushed message lands in the cache by its id (its conversation's lastMessage with it);
  // only the open conversation's list of messages needs to be told it has a new one.
  const messageAdded = useSubscription(
    MESSAGE_ADDED,
    websiteId === undefined
      ? skipToken
      : {
          variables: { websiteId },
          onData: ({ client, data: event }) => {
            const message = event.data?.messageAdded;
            if (message !== undefined) {
              appendMessage(client.cache, message.conversation.sessionId, message);
            }
          },
        },
  );
  // A state, routing or meta change is the conversation read again: normalisation is enough.
  const conversationUpdated = useSubscription(
    CONVERSATION_UPDATED,
    websiteId === undefined ? skipToken : { variables: { websiteId } },
  );

  return (
    <div className="app">
      <header>
        <h1>{website?.name ?? "Crisp inbox"}</h1>
        <span className={`live live-${status}`} data-testid="live-status">
          {status}
        </span>
      </header>
      {[error, messageAdded.error, conversationUpdated.error].map(
        (failure) =>
          failure !== undefined && (
            <p key={failure.message} className="error" role="alert">
              {failure.message}
            </p>
          ),
      )}
      <div className="panes">
        <aside>
          {website === undefined ? (
            <p className="muted">Loading conversations…</p>
          ) : (
            <ConversationList
              connection={website.conversations}
              selected={selected}
              onSelect={setSelected}
              loadingMore={networkStatus === NetworkStatus.fetchMore}
              onLoadMore={(after) => void fetchMore({ variables: { after } })}
            />
          )}
        </aside>
        <main>
          {selected !== null && websiteId !== undefined ? (
            <ConversationView key={selected} websiteId={websiteId} sessionId={selected} />
          ) : (
            <p className="muted">Pick a conversation.</p>
          )}
        </main>
      </div>
    </div>
  );
}
