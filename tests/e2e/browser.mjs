// The two browser engines the browser suites run in, Debian's Chromium and
// Firefox ESR, both driven by puppeteer-core (CDP for Chromium, WebDriver
// BiDi for Firefox; it never downloads a browser), and a static file server
// for pages under test.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import puppeteer from "puppeteer-core";

/** The engines every browser suite runs in, in this order, and their names for people. */
export const ENGINES = ["chromium", "firefox"];
export const ENGINE_NAMES = { chromium: "Chromium", firefox: "Firefox ESR" };

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--lang=en-US",
];

/**
 * Launches `engine` ("chromium" or "firefox") headless, in English and in
 * UTC. The executables default to Debian's; `CHROMIUM` and `FIREFOX` name
 * others.
 * @param {"chromium" | "firefox"} engine
 */
export function launchBrowser(engine) {
  const common = { headless: true, env: { ...process.env, TZ: "UTC", LANG: "en_US.UTF-8" } };
  if (engine === "chromium") {
    return puppeteer.launch({ ...common, browser: "chrome", executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  }
  if (engine === "firefox") {
    return puppeteer.launch({
      ...common,
      browser: "firefox",
      executablePath: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
      extraPrefsFirefox: { "intl.locale.requested": "en-US", "intl.accept_languages": "en-US" },
    });
  }
  throw new Error(`unknown browser engine: ${engine}`);
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

/** Serves the files under `dir` on 127.0.0.1; resolves to `{ url, close }`. */
export async function serveDirectory(dir) {
  const server = createServer(async (request, response) => {
    const requested = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const path = requested.endsWith("/") ? `${requested}index.html` : requested;
    try {
      const body = await readFile(join(dir, path));
      response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    // Browsers keep connections alive: close them, or close() waits for them.
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}
