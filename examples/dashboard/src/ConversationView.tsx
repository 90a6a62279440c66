import { useMutation, useQuery } from "@apollo/client/react";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { displayName } from "./ConversationList";
import { appendMessage } from "./cache-updates";
import { CONVERSATION, MESSAGES_SHOWN, SEND_REPLY, SET_STATE } from "./operations";

/** A client-chosen fingerprint: Crisp stores one message per fingerprint, so a retry is safe. */
function newFingerprint(): number {
  return Date.now() * 1_000 + Math.floor(Math.random() * 1_000);
}

/** One conversation: its newest messages, a reply box, resolve or reopen. */
export function ConversationView({
  websiteId,
  sessionId,
}: {
  websiteId: string;
  sessionId: string;
}) {
  const { data, error, loading } = useQuery(CONVERSATION, {
    variables: { sessionId, last: MESSAGES_SHOWN },
  });
  const [sendReply, reply] = useMutation(SEND_REPLY, {
    update: (cache, { data: sent }) => {
      if (sent) {
        appendMessage(cache, sessionId, sent.sendMessage);
      }
    },
  });
  const [setState, stateChange] = useMutation(SET_STATE);
  const [text, setText] = useState("");
  // Kept until the reply is stored, so sending the same text again after a failure cannot
  // create it twice.
  const fingerprint = useRef<{ text: string; value: number } | null>(null);

  const conversation = data?.website.conversation;
  const newest = useRef<HTMLLIElement>(null);
  const newestId = conversation?.messages.nodes.at(-1)?.id;
  // Keep the newest message in view as replies and live messages arrive.
  useEffect(() => {
    if (newestId !== undefined) {
      newest.current?.scrollIntoView({ block: "end" });
    }
  }, [newestId]);
  if (conversation === undefined) {
    return <p className="muted">{loading ? "Loading…" : (error?.message ?? "")}</p>;
  }
  if (conversation === null) {
    return <p className="muted">This conversation no longer exists.</p>;
  }
  const resolved = conversation.state === "RESOLVED";

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const body = text.trim();
    if (body === "") {
      return;
    }
    if (fingerprint.current?.text !== body) {
      fingerprint.current = { text: body, value: newFingerprint() };
    }
    const result = await sendReply({
      variables: { websiteId, sessionId, text: body, fingerprint: fingerprint.current.value },
    });
    if (result.error === undefined) {
      fingerprint.current = null;
      setText("");
    }
  };

  return (
    <section className="conversation" data-testid="conversation" data-session-id={sessionId}>
      <div className="conversation-header">
        <h2>{displayName(conversation)}</h2>
        <span className={`state state-${conversation.state.toLowerCase()}`}>
          {conversation.state}
        </span>
        <button
          type="button"
          disabled={stateChange.loading}
          onClick={() =>
            void setState({
              variables: { websiteId, sessionId, state: resolved ? "UNRESOLVED" : "RESOLVED" },
            })
          }
        >
          {resolved ? "Reopen" : "Resolve"}
        </button>
      </div>
      {stateChange.error !== undefined && (
        <p className="error" role="alert">
          {stateChange.error.message}
        </p>
      )}
      <ol className="messages" data-testid="messages">
        {conversation.messages.nodes.map((message) => (
          <li
            key={message.id}
            ref={message.id === newestId ? newest : undefined}
            className={`message from-${message.from.toLowerCase()}`}
          >
            <span className="meta">
              {message.author.nickname ?? (message.from === "USER" ? "Visitor" : "Operator")} ·{" "}
              {new Date(message.timestamp).toLocaleString()}
              {message.type === "TEXT" ? "" : ` · ${message.type.toLowerCase()}`}
            </span>
            <span className="text">{message.text ?? ""}</span>
          </li>
        ))}
      </ol>
      <form className="reply" onSubmit={(event) => void onSubmit(event)}>
        <input
          aria-label="Reply"
          placeholder="Reply as an operator…"
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit" disabled={reply.loading || text.trim() === ""}>
          {reply.loading ? "Sending…" : "Send"}
        </button>
      </form>
      {reply.error !== undefined && (
        <p className="error" role="alert">
          {reply.error.message}
        </p>
      )}
    </section>
  );
}
