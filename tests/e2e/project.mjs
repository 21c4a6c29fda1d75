// An empty user project with the packed npm package `edge-tokens` installed
// from pkg/, the way a user installs it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const pkg = new URL("../../pkg/", import.meta.url).pathname;

/**
 * Packs pkg/ and installs the tarball into a new project named `name`.
 * @param {string} name
 * @returns {{ dir: string, remove: () => void }}
 */
export function projectWithPackage(name) {
  const dir = mkdtempSync(join(tmpdir(), `edge-tokens-${name}-`));
  execFileSync("npm", ["pack", "--pack-destination", dir], { cwd: pkg, stdio: "ignore" });
  const tarball = readdirSync(dir).find((file) => file.endsWith(".tgz"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", join(dir, tarball)], { cwd: dir, stdio: "ignore" });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
