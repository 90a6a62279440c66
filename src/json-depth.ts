/**
 * Whether a JSON value nests deeper than `maxDepth` (objects and arrays; a scalar is depth 0).
 * Iterative, so a value nested 100,000 deep is answered, not a stack overflow, and it stops at
 * the first level past the limit. Anything that recurses over client JSON (JSON.stringify,
 * graphql-js' value printing, Crisp's own parser) must only see values this has passed.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [current, depth] = next;
    if (typeof current !== "object" || current === null) {
      continue;
    }
    if (depth + 1 > maxDepth) {
      return true;
    }
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) {
        stack.push([child, depth + 1]);
      }
    }
  }
  return false;
}
