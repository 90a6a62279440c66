import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { printedUrl, REPO, startGateway } from "./helpers/process.js";

const repo = fileURLToPath(REPO);
// Inside the repository, so the compiled files resolve node_modules as dist/ does.
const out = mkdtempSync(join(repo, ".build-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

beforeAll(async () => {
  // What `npm run build` runs, into a folder of this test's own.
  await promisify(execFile)(
    process.execPath,
    [join(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out],
    { cwd: repo },
  );
}, 180_000);

function compiledFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".js"))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("the production build", () => {
  it("imports nothing but Node's own modules and the package's dependencies (no dev tooling)", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    for (const file of compiledFiles(out)) {
      const text = readFileSync(file, "utf8");
      for (const [, specifier = ""] of text.matchAll(/(?:from |import\()"([^"]+)"/g)) {
        if (!specifier.startsWith(".")) {
          imported.add(specifier);
        }
      }
    }
    const packageOf = (specifier: string) =>
      specifier.startsWith("@")
        ? specifier.split("/").slice(0, 2).join("/")
        : (specifier.split("/")[0] ?? "");
    const outside = [...imported].filter(
      (specifier) =>
        !specifier.startsWith("node:") &&
        !builtinModules.includes(specifier) &&
        !(packageOf(specifier) in pkg.dependencies),
    );
    expect(outside).toEqual([]);
    expect(imported.size).toBeGreaterThan(10);
  });

  it("runs with node alone (NODE_ENV=production, demo mode asked for) and answers queries", async () => {
    const gateway = startGateway(
      { PORT: "0", NODE_ENV: "production", DEMO: "1", DEMO_ACTIVITY_MS: "0" },
      { command: "dist", entry: join(out, "main.js") },
    );
    const url = await printedUrl(gateway);
    expect(gateway.output()).toContain("GraphQL: ");
    expect(gateway.output()).toContain("(GraphiQL off)");
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ website { name } gateway { version demo } }" }),
    });
    const body = (await response.json()) as {
      data: { website: { name: string }; gateway: { version: string; demo: boolean } };
    };
    expect(body.data.website.name.length).toBeGreaterThan(0);
    expect(body.data.gateway).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      demo: true,
    });
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited()).toBe(0);
  });
});
