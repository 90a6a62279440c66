import type { SimulatorRequest } from "./types.js";

/**
 * The sequential round trips a client needed for these requests, from their order alone: a
 * request sent after another's answer came is one round trip later than it (it may have
 * waited for it), and requests sent before any answer they could depend on share a round.
 * Each request's round, in log order; the client's count is the largest.
 */
export function roundTrips(requests: readonly SimulatorRequest[]): number[] {
  const rounds: number[] = [];
  requests.forEach((request, index) => {
    let round = 1;
    for (let before = 0; before < index; before += 1) {
      const earlier = requests[before];
      const earlierRound = rounds[before] ?? 1;
      if (earlier !== undefined && earlier.answered > 0 && earlier.answered < request.arrived) {
        round = Math.max(round, earlierRound + 1);
      }
    }
    rounds.push(round);
  });
  return rounds;
}
