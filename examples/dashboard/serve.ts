/**
 * `npm run dashboard`: the demo gateway and the example dashboard, in one command.
 *
 * 1. Vite's dev server serves the dashboard on 127.0.0.1:`DASHBOARD_PORT` (@default 5173; `0`
 *    picks a free port). It starts first, so that its origin is known.
 * 2. The gateway starts as `npm start` would (`src/main.ts`: with no Crisp credentials, the
 *    embedded simulator), on `PORT` (@default 0, any free port), with the dashboard's origin
 *    added to `GATEWAY_CORS_ORIGINS` and `LOG_LEVEL` (@default warn here, so its per-hook log
 *    lines do not drown the URLs). Every other variable passes through (`DEMO_ACTIVITY_MS`,
 *    `SIMULATOR_SEED`, or `CRISP_IDENTIFIER`/`CRISP_KEY` for a real account).
 * 3. The gateway URL it prints goes into the page (`<meta name="gateway-url">`), and this
 *    prints `Dashboard: <url>`.
 *
 * SIGINT, SIGTERM or SIGHUP stops both (the gateway drains first; a second signal hurries it);
 * if the gateway stops, so does this, with its exit code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createServer, type Plugin } from "vite";

const dashboardRoot = fileURLToPath(new URL(".", import.meta.url));
const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));

function dashboardPort(value: string | undefined): number {
  if (value === undefined || value.trim() === "") {
    return 5173;
  }
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) {
    throw new Error(`DASHBOARD_PORT=${JSON.stringify(value)}: expected an integer from 0 to 65535`);
  }
  return port;
}

/** Puts the gateway URL into index.html on every request; it is known once the gateway runs. */
function gatewayUrlPlugin(gatewayUrl: () => string): Plugin {
  return {
    name: "crisp-gateway-url",
    transformIndexHtml: (html) =>
      html.replace(
        '<meta name="gateway-url" content="" />',
        `<meta name="gateway-url" content="${gatewayUrl().replaceAll("&", "&amp;").replaceAll('"', "&quot;")}" />`,
      ),
  };
}

/** Starts `src/main.ts` and resolves with the GraphQL URL it prints. */
async function startGateway(
  origin: string,
): Promise<{ child: ChildProcess; url: string; exited: Promise<number> }> {
  const origins = [process.env.GATEWAY_CORS_ORIGINS, origin].filter(
    (value) => value !== undefined && value.trim() !== "",
  );
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      PORT: process.env.PORT ?? "0",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      GATEWAY_CORS_ORIGINS: origins.join(","),
    },
    stdio: ["ignore", "pipe", "inherit"],
    // Its own process group: Ctrl+C in a terminal signals the whole foreground group, and the
    // gateway would get SIGINT twice (the terminal's and the one forwarded to it), which it
    // takes as "exit now, skip draining".
    detached: true,
  });
  // "close", not "exit": its last lines are read by then. A gateway ended by a signal (only a
  // forwarded second one does that) counts as stopped.
  const exited = once(child, "close").then(([code]) => (typeof code === "number" ? code : 0));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    let printed: string | undefined;
    lines.on("line", (line) => {
      console.log(line);
      printed ??= /^(?:GraphiQL|GraphQL): (https?:\/\/\S+\/graphql)/.exec(line)?.[1];
      // Printed once the gateway listens and (in demo mode) the simulator sends it its hooks.
      if (printed !== undefined && line.startsWith("Web hooks:")) {
        resolve(printed);
      }
    });
    void exited.then((code) => reject(new Error(`the gateway exited with code ${code}`)));
  });
  return { child, url, exited };
}

async function main(): Promise<void> {
  const port = dashboardPort(process.env.DASHBOARD_PORT);
  let gatewayUrl = "";
  // Vite in middleware mode on our own HTTP server: a listening Vite server would install
  // its own SIGTERM handler (and exit on stdin's end) and cut the gateway's drain short.
  const http = createHttpServer();
  const vite = await createServer({
    configFile: false,
    root: dashboardRoot,
    appType: "spa",
    logLevel: "warn",
    clearScreen: false,
    server: { middlewareMode: true, hmr: { server: http } },
    oxc: { jsx: { runtime: "automatic" } },
    // Named up front so that the first page load never finds a dependency to optimise late
    // (Vite would then reload the page).
    optimizeDeps: {
      include: [
        "react",
        "react/jsx-dev-runtime",
        "react-dom/client",
        "@apollo/client",
        "@apollo/client/dev",
        "@apollo/client/link/subscriptions",
        "@apollo/client/react",
        "@apollo/client/utilities",
        "graphql-ws",
      ],
    },
    plugins: [gatewayUrlPlugin(() => gatewayUrl)],
  });
  http.on("request", vite.middlewares);
  const closeDashboard = async () => {
    await vite.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  };
  try {
    http.listen(port, "127.0.0.1");
    await once(http, "listening");
  } catch (error) {
    await vite.close();
    throw error instanceof Error && "code" in error && error.code === "EADDRINUSE"
      ? new Error(`127.0.0.1:${port} is in use: set DASHBOARD_PORT (0 picks a free port).`)
      : error;
  }
  const address = http.address();
  const dashboardUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : port}/`;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(new URL(dashboardUrl).origin);
  } catch (error) {
    await closeDashboard();
    throw error;
  }
  gatewayUrl = gateway.url;
  console.log(`Dashboard: ${dashboardUrl} (gateway ${gateway.url})`);

  // The gateway runs in its own process group (see startGateway), so it gets exactly the
  // signals forwarded here: a second one while it drains makes it exit at once.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    gateway.child.kill(signal);
    if (stopping) {
      return;
    }
    stopping = true;
    console.log(`${signal}: stopping the dashboard and the gateway.`);
    const code = await gateway.exited;
    await closeDashboard();
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => void stop(signal));
  }
  // Should this process end any other way (an uncaught error), the gateway goes with it.
  process.once("exit", () => {
    if (gateway.child.exitCode === null) {
      gateway.child.kill("SIGTERM");
    }
  });
  void gateway.exited.then(async (code) => {
    if (!stopping) {
      console.error(`The gateway stopped (exit code ${code}); stopping the dashboard.`);
      await closeDashboard();
      process.exit(code === 0 ? 1 : code);
    }
  });
}

main().catch((error: unknown) => {
  console.error(`The dashboard failed to start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
