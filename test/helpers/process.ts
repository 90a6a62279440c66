import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { onTestFinished } from "vitest";

export const REPO = new URL("../..", import.meta.url);

/** A gateway process started as a user would, with its output and a way to await lines. */
export interface GatewayProcess {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited(): Promise<number | null>;
}

/**
 * How the gateway is started: `main` is `node --import tsx src/main.ts` (what `npm start`
 * execs), `npm` is `npm start` itself, `dist` is `node <entry>` (default dist/main.js).
 */
export type StartCommand = "main" | "npm" | "dist";

/** Starts the gateway with only `env` (plus PATH and HOME) set; killed after the test. */
export function startGateway(
  env: Record<string, string>,
  { command = "main", entry = "dist/main.js" }: { command?: StartCommand; entry?: string } = {},
): GatewayProcess {
  const [file, args] =
    command === "npm"
      ? ["npm", ["start", "--silent"]]
      : command === "dist"
        ? [process.execPath, [entry]]
        : [process.execPath, ["--import", "tsx", "src/main.ts"]];
  const child = spawn(file, args, {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exit = once(child, "exit").then(([code]) => code as number | null);
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    child.emit("output");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
  });
  return {
    child,
    output: () => output,
    exited: () => exit,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match !== null) {
            child.off("output", check);
            resolve(match);
          }
        };
        child.on("output", check);
        check();
        void exit.then((code) => {
          child.off("output", check);
          reject(new Error(`exited (${code}) without printing ${pattern}; output was:\n${output}`));
        });
      }),
  };
}

/** The GraphQL URL the gateway prints once it listens. */
export async function printedUrl(gateway: GatewayProcess): Promise<string> {
  const [, url] = await gateway.waitFor(/(?:GraphiQL|GraphQL): (http:\/\/\S+\/graphql)/);
  return url ?? "";
}

/** The default website of a gateway running at `url`, asked as a client would. */
export async function defaultWebsiteOf(url: string): Promise<string> {
  const answer = (await (
    await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ website { websiteId } }" }),
    })
  ).json()) as { data: { website: { websiteId: string } } };
  return answer.data.website.websiteId;
}
