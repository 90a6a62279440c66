import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";

/**
 * The simulator is the gateway's independent witness of how Crisp behaves: it must hold its
 * own beliefs about Crisp, never borrow the client's (`src/crisp`) or anything else of the
 * gateway's, or a wrong belief would be shared by both sides and no test could catch it.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const simulatorDir = join(root, "src", "simulator");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return sourceFiles(path);
    }
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier a file names: static imports, re-exports, `import()` and `require`. */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((item) => item.fileName);
}

/** Where a specifier leads: inside the simulator, elsewhere in the repository, or a package. */
function classify(file: string, specifier: string): "simulator" | "outside" | "package" {
  if (specifier.startsWith(".") || specifier.startsWith("/")) {
    const target = resolve(dirname(file), specifier);
    return target === simulatorDir || target.startsWith(`${simulatorDir}${sep}`)
      ? "simulator"
      : "outside";
  }
  return "package";
}

const builtins = new Set(builtinModules);
/** Packages the simulator may use: Node's own modules and its HTTP client for web hooks. */
/** Transports only: undici sends its hooks, socket.io is its RTM server (as Crisp's relay is). */
function allowedPackage(specifier: string): boolean {
  const name = specifier.replace(/^node:/, "").split("/")[0] ?? "";
  return (
    (specifier.startsWith("node:") && builtins.has(name)) ||
    specifier === "undici" ||
    specifier === "socket.io"
  );
}

describe("the simulator's boundary", () => {
  const files = sourceFiles(simulatorDir);

  test("finds the simulator's files and their imports (the check below is not vacuous)", () => {
    expect(files.length).toBeGreaterThan(10);
    const all = files.flatMap((file) => specifiers(file));
    expect(all).toContain("./protocol.js");
    expect(all).toContain("node:crypto");
    // The classifier does catch what the rule forbids.
    const probe = join(simulatorDir, "probe.ts");
    expect(classify(probe, "../crisp/types.js")).toBe("outside");
    expect(classify(probe, "../errors.js")).toBe("outside");
    expect(classify(join(simulatorDir, "writes", "probe.ts"), "../../crisp/types.js")).toBe(
      "outside",
    );
    expect(classify(join(simulatorDir, "writes", "probe.ts"), "../routes.js")).toBe("simulator");
  });

  test("no file under src/simulator imports src/crisp or anything else of src outside it", () => {
    const outside = files.flatMap((file) =>
      specifiers(file)
        .filter((specifier) => classify(file, specifier) === "outside")
        .map((specifier) => `${relative(root, file)} imports ${specifier}`),
    );
    expect(outside).toEqual([]);
  });

  test("the simulator uses only Node's modules, undici and socket.io", () => {
    const packages = files.flatMap((file) =>
      specifiers(file)
        .filter((specifier) => classify(file, specifier) === "package")
        .filter((specifier) => !allowedPackage(specifier))
        .map((specifier) => `${relative(root, file)} imports ${specifier}`),
    );
    expect(packages).toEqual([]);
  });
});
