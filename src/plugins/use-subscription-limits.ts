import type { Plugin } from "graphql-yoga";
import { clientKeyOf, type Viewer } from "../auth.js";
import { ErrorCode, GatewayError } from "../errors.js";

/**
 * Caps the subscriptions one client holds open at once, whatever the transport (graphql-ws and
 * SSE both subscribe through Yoga's envelop, so this plugin sees both). Past the cap a new
 * subscription gets one REQUEST_LIMIT_EXCEEDED error and ends; the ones open are untouched.
 * Every open subscription costs memory and a share of each web hook's fan-out, so without a cap
 * one socket opened 10,000 (+366 MB of heap) and made one hook take 778 ms to deliver.
 * graphql-ws also caps operations per socket (src/http/graphql-ws.ts).
 */
export function useSubscriptionLimits({
  perClient,
}: {
  /** Open subscriptions per client (credentials, or address when open); 0 for no cap. */
  perClient: number;
}): Plugin<{ viewer?: Viewer; req?: { socket?: { remoteAddress?: string } } }> {
  const open = new Map<string, number>();
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      if (perClient === 0) {
        return;
      }
      const context = args.contextValue;
      const client = clientKeyOf(context.viewer, context.req?.socket?.remoteAddress);
      const count = open.get(client) ?? 0;
      if (count >= perClient) {
        setResultAndStopExecution({ errors: [tooManySubscriptions(perClient)] });
        return;
      }
      // Counted from now, so concurrent subscribes cannot all slip under the cap.
      open.set(client, count + 1);
      let counted = true;
      const release = () => {
        if (!counted) {
          return;
        }
        counted = false;
        const left = (open.get(client) ?? 1) - 1;
        if (left <= 0) {
          open.delete(client);
        } else {
          open.set(client, left);
        }
      };
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) {
            release();
            return;
          }
          return { onEnd: release };
        },
        onSubscribeError: release,
      };
    },
  };
}

export function tooManySubscriptions(limit: number, per = "client"): GatewayError {
  const error = new GatewayError(
    ErrorCode.REQUEST_LIMIT_EXCEEDED,
    `Too many open subscriptions: at most ${limit} per ${per}; complete one before opening another.`,
  );
  error.extensions.http = { status: 429 };
  return error;
}
