import type { ConversationFields, ConversationsData } from "./operations";

export function displayName(conversation: ConversationFields): string {
  return conversation.meta.nickname ?? conversation.meta.email ?? conversation.sessionId;
}

/** The loaded pages of conversations, and "load more" while the gateway has more. */
export function ConversationList({
  connection,
  selected,
  onSelect,
  loadingMore,
  onLoadMore,
}: {
  connection: ConversationsData["website"]["conversations"];
  selected: string | null;
  onSelect: (sessionId: string) => void;
  loadingMore: boolean;
  onLoadMore: (after: string) => void;
}) {
  const { edges, pageInfo } = connection;
  // The gateway's cursors are offsets into Crisp's numbered pages: when conversations move to
  // the top between two pages, the next page starts with some already listed. Each is shown
  // once, where it first appeared.
  const seen = new Set<string>();
  const conversations: ConversationFields[] = [];
  for (const { node } of edges) {
    if (!seen.has(node.id)) {
      seen.add(node.id);
      conversations.push(node);
    }
  }
  return (
    <>
      <ul className="conversations" data-testid="conversations">
        {conversations.map((node) => (
          <li key={node.id}>
            <button
              type="button"
              className={node.sessionId === selected ? "selected" : undefined}
              data-session-id={node.sessionId}
              onClick={() => onSelect(node.sessionId)}
            >
              <span className="who">{displayName(node)}</span>
              <span className={`state state-${node.state.toLowerCase()}`} data-testid="state">
                {node.state}
              </span>
              <span className="last" data-testid="last-message">
                {node.lastMessage ?? ""}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {pageInfo.hasNextPage && pageInfo.endCursor !== null && (
        <button
          type="button"
          className="more"
          disabled={loadingMore}
          onClick={() => pageInfo.endCursor !== null && onLoadMore(pageInfo.endCursor)}
        >
          {loadingMore ? "Loading…" : "Load more"}
        </button>
      )}
    </>
  );
}
