// What the console's test files share: the service as `npm start` serves
// it (`wrangler dev` with the Worker, its static assets and the real
// Content-Security-Policy, with the stand-in node behind its gateway), one
// per file, and a browser tab in one engine with the helpers a test reads
// and works the page with, as a person would.
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchBrowser } from "./browser.mjs";
import { startStandInNode, NODE_TOKEN, HEALTH_PATHS } from "./stand-in-node.mjs";
import { READY_WITHIN_MS, startWranglerDev } from "./wrangler-dev.mjs";
import { readFacts } from "../../www/facts.js";

export const root = new URL("../../", import.meta.url).pathname;
export const artifacts = join(root, "tests", "artifacts");
/** The pictures of the README, refreshed from Chromium when `UPDATE_README_SCREENSHOT` is set. */
export const readme = {
  issued: join(root, "tests", "console-screenshot.png"),
  list: join(root, "tests", "console-list.png"),
  detail: join(root, "tests", "console-detail.png"),
};
export const ADMIN = `console-admin-${randomBytes(12).toString("hex")}`;
// How long the gateway waits for the node: short, so a silent node's 504 comes quickly.
const ORIGIN_TIMEOUT_MS = 1_500;

/** A TokensApiError as the client package makes it, without loading the package. */
export const api = (httpStatus, status, error, reason) =>
  Object.assign(new Error("x"), { name: "TokensApiError", httpStatus, status, error, ...(reason === undefined ? {} : { reason }) });

/**
 * The service for the tests of one file: {@link startService}, started
 * before its tests and stopped after. Its fields are filled in once it is
 * ready.
 * @returns {{ origin: string, node: Awaited<ReturnType<typeof startStandInNode>>, gateway: any }}
 */
export function useService() {
  const service = {};
  let stop;
  before(async () => {
    const started = await startService();
    stop = started.stop;
    Object.assign(service, started);
  }, { timeout: READY_WITHIN_MS + 30_000 });
  after(() => stop?.());
  return service;
}

/**
 * Starts the stand-in node and `wrangler dev` in front of it, with its own
 * local storage; resolves when the Worker answers.
 * @returns {Promise<{ origin: string, node: Awaited<ReturnType<typeof startStandInNode>>, gateway: any, stop: () => Promise<void> }>}
 */
export async function startService() {
  mkdirSync(artifacts, { recursive: true });
  const node = await startStandInNode();
  const wrangler = await startWranglerDev({
    API_TOKEN: ADMIN, ORIGIN_URL: node.url, ORIGIN_TOKEN: NODE_TOKEN, ORIGIN_TIMEOUT_MS: String(ORIGIN_TIMEOUT_MS),
  });
  const gateway = await (await fetch(`${wrangler.origin}/api/v3/gateway`)).json();
  return {
    origin: wrangler.origin,
    node,
    gateway,
    async stop() {
      wrangler.stop();
      await node.close();
    },
  };
}

/**
 * A tab of `engine` on the console of `service`, opened before the tests of
 * the enclosing `describe` and closed after them, with what the tests read
 * and do there. It records the page's console errors, its requests, and
 * every secret the tests were given (none may appear in a URL, on the
 * page where it is not shown on purpose, or at the node).
 * @param {"chromium" | "firefox"} engine
 * @param {ReturnType<typeof useService>} service
 */
export function useTab(engine, service) {
  const tab = {
    engine,
    /** @type {import("puppeteer-core").Page} */
    page: undefined,
    consoleErrors: [],
    requests: [],
    secrets: [ADMIN],
  };
  let browser;
  before(async () => {
    browser = await launchBrowser(engine);
    // Like a person's browser: no permissions granted beyond the engine's defaults.
    const context = await browser.createBrowserContext();
    tab.page = await context.newPage();
    await tab.page.setViewport({ width: 1280, height: 800 });
    tab.page.setDefaultTimeout(15_000);
    tab.page.on("console", (message) => message.type() === "error" && tab.consoleErrors.push(message));
    tab.page.on("pageerror", (error) => tab.consoleErrors.push({ text: () => `pageerror: ${error}`, location: () => ({}) }));
    tab.page.on("request", (request) => tab.requests.push({ method: request.method(), url: request.url() }));
  }, { timeout: 60_000 });
  after(async () => {
    await browser?.close();
  });
  return Object.assign(tab, pageHelpers(tab, service));
}

// The helpers over the page of `tab`.
function pageHelpers(tab, service) {
  const page = () => tab.page;
  const text = (selector) => page().$eval(selector, (element) => element.innerText);
  const click = (selector) => page().locator(selector).click();
  const fill = (selector, value) => page().locator(selector).fill(value);
  const visible = (selector) => page().waitForSelector(selector, { visible: true });
  const helpers = {
    text,
    click,
    fill,
    visible,
    attribute: (selector, name) => page().$eval(selector, (element, name) => element.getAttribute(name), name),
    inputValue: (selector) => page().$eval(selector, (element) => element.value),
    shot: (name, options = {}) => page().screenshot({ path: join(artifacts, `console-${tab.engine}-${name}.png`), ...options }),
    apiRequests: () => tab.requests.filter((request) => new URL(request.url).pathname.startsWith("/api/")),
    /**
     * Refreshes a picture of the README (from Chromium, when `UPDATE_README_SCREENSHOT` is set): the
     * top of the page down to the end of `last`, no more (a small file). It changes with every run
     * (ids, times): refreshed on request only.
     */
    async readmeShot(path, last) {
      if (!process.env.UPDATE_README_SCREENSHOT || tab.engine !== "chromium") return;
      await page().evaluate(() => scrollTo(0, 0));
      const { width, height } = page().viewport();
      const bottom = await page().$eval(last, (element) => element.getBoundingClientRect().bottom);
      await page().screenshot({ path, clip: { x: 0, y: 0, width, height: Math.min(height, Math.ceil(bottom) + 16) } });
    },

    /** The service's catalogue and bounds, read from its OpenAPI document as the console reads them. */
    serviceFacts: async () => readFacts(await (await fetch(`${service.origin}/api/v3/openapi.json`)).json()),
    /** The id of the element that has the keyboard focus. */
    focused: () => page().evaluate(() => document.activeElement?.id ?? ""),
    /** Whether the page is wider than the window (it would scroll sideways). */
    fits: () => page().evaluate(() => document.documentElement.scrollWidth <= innerWidth),

    /** Whether the element is rendered with a size and not visibility: hidden. */
    isVisible: (selector) => page().evaluate((selector) => {
      const element = document.querySelector(selector);
      if (!element) return false;
      const { width, height } = element.getBoundingClientRect();
      return getComputedStyle(element).visibility !== "hidden" && width > 0 && height > 0;
    }, selector),

    /** Opens, as a person would (a click on its summary), every closed group the element is in. */
    async reveal(selector) {
      const count = await page().$eval(selector, (element) => {
        const closed = [];
        for (let details = element.closest("details"); details; details = details.parentElement?.closest("details")) {
          if (!details.open) closed.unshift(details);
        }
        closed.forEach((details, index) => { details.querySelector(":scope > summary").dataset.revealProbe = String(index); });
        return closed.length;
      });
      for (let index = 0; index < count; index += 1) await click(`summary[data-reveal-probe="${index}"]`);
      await page().$$eval("[data-reveal-probe]", (all) => all.forEach((element) => delete element.dataset.revealProbe));
    },

    /** Ticks a checkbox (a click, as a person would, its group opened first) unless it is ticked. */
    async check(selector) {
      await helpers.reveal(selector);
      if (!(await page().$eval(selector, (box) => box.checked))) await click(selector);
      assert.equal(await page().$eval(selector, (box) => box.checked), true, `${selector} is ticked`);
    },

    /** Ticks capabilities in the create form and sets their limits ("" for none). */
    async pick(limits) {
      for (const [endpoint, limit] of Object.entries(limits)) {
        await helpers.check(`#pick-${endpoint}`);
        if (limit !== undefined) await fill(`#limit-${endpoint}`, limit);
      }
    },

    async pressWithControl(key) {
      await page().keyboard.down("Control");
      await page().keyboard.press(key);
      await page().keyboard.up("Control");
    },

    /** Empties a field as a person does: everything selected, then deleted (an input event, as fill("") would not send). */
    async emptyField(selector) {
      await page().focus(selector);
      await helpers.pressWithControl("a");
      await page().keyboard.press("Backspace");
    },

    /** Goes to a view by its link in the navigation, as a person would. */
    async goTo(view) {
      await click(`#views a[data-view="${view}"]`);
      await page().waitForFunction((view) => document.querySelector(`#views a[data-view="${view}"]`)?.getAttribute("aria-current") === "page", {}, view);
    },

    async signIn(secret) {
      // Enabled once the console's script has run: a click before that sends nothing.
      await visible("#sign-in-form button[type=submit]:not([disabled])");
      await fill("#secret", secret);
      await click("#sign-in-form button[type=submit]");
    },

    async signInAndWait(secret) {
      await helpers.signIn(secret);
      await visible("#views");
    },

    async signOut() {
      await click("#sign-out");
      await visible("#sign-in");
    },

    storage: () => page().evaluate(() => ({
      session: Object.fromEntries(Object.entries(sessionStorage)),
      local: Object.fromEntries(Object.entries(localStorage)),
    })),

    /** The innerText of each item of the signed-in token's capabilities. */
    heldRows: () => page().$$eval("#mine-capabilities li", (items) => items.map((item) => item.innerText)),

    /** Waits until a held capability's row shows `needle` (on the My token view); resolves to the row's text. */
    async heldRow(needle) {
      const row = await page().waitForFunction((needle) => [...document.querySelectorAll("#mine-capabilities li")]
        .find((item) => item.innerText.includes(needle))?.innerText, {}, needle);
      return row.jsonValue();
    },

    async createdToken() {
      await visible("#created");
      const created = { secret: await text("#created-secret"), id: await text("#created-id") };
      tab.secrets.push(created.secret);
      return created;
    },

    /** Creates a token through the API, as `secret`. */
    async apiCreate(secret, body) {
      const response = await fetch(`${service.origin}/api/v3/tokens`, {
        method: "POST",
        headers: { "x-auth-token": secret, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 201, await response.clone().text());
      const created = await response.json();
      tab.secrets.push(created.token);
      return created;
    },

    /** Whether leaving the page now would make the browser ask first (a beforeunload listener cancels the event). */
    warnsBeforeLeaving: () => page().evaluate(() => {
      const leaving = new Event("beforeunload", { cancelable: true });
      dispatchEvent(leaving);
      return leaving.defaultPrevented;
    }),

    /**
     * The error shown beside a field: its text, whether the field has the
     * keyboard focus, is marked invalid and is described by it, and whether
     * the message is right after the field (or after the box that holds it).
     */
    fieldError: (fieldSelector) => page().$eval(fieldSelector, (field) => {
      const message = document.getElementById(`${field.id}-error`);
      const next = (node) => node?.nextElementSibling;
      return {
        text: message?.textContent ?? null,
        focused: document.activeElement === field,
        invalid: field.getAttribute("aria-invalid"),
        describedBy: (field.getAttribute("aria-describedby") ?? "").split(" ").includes(message?.id),
        beside: message !== null && (next(field) === message || next(field.parentElement) === message),
        visible: message?.checkVisibility() ?? false,
      };
    }),

    /** Deletes token `id` by the form of the list's view, up to its confirmation. */
    async confirmDeletion(id) {
      await fill("#delete-id", id);
      await click("#delete-form button[type=submit]");
      await visible("#confirm-delete");
      assert.equal(await text("#confirm-id"), id);
    },

    /** The ids of the rows of the list shown now. */
    shownIds: () => page().$$eval("#tokens-list .token-row", (rows) => rows.map((row) => row.dataset.id)),

    /** Waits until the whole list has been read (it is no longer busy, the summary no longer says it is reading); resolves to the summary. */
    async listRead() {
      const summary = await page().waitForFunction(() => {
        const text = document.getElementById("tokens-summary").textContent;
        const busy = document.getElementById("tokens-list").getAttribute("aria-busy") === "true";
        return text && !busy && !text.includes("still reading") && !text.startsWith("Reading") ? text : false;
      });
      return summary.jsonValue();
    },

    /** Waits until token `id`'s page is shown with the tokens it made. */
    async detailRead(id) {
      await visible("#detail-body");
      await page().waitForFunction((id) => document.getElementById("detail-id").textContent === id
        && !document.getElementById("detail-children-summary").textContent.startsWith("Reading"), {}, id);
    },

    /** Types a search into the list's search box, replacing what it held, and waits for the rows it finds. */
    async searchTokens(query) {
      await helpers.emptyField("#tokens-search");
      if (query !== "") await page().keyboard.type(query);
      await page().waitForFunction((query) => document.getElementById("tokens-summary").textContent.includes(query.trim()) || query.trim() === "", {}, query);
    },

    /** Every token the admin may see, read from the service page by page (as a person could not). */
    async allTokens() {
      const tokens = [];
      let cursor;
      const { pageLimit } = await helpers.serviceFacts();
      do {
        const query = new URLSearchParams({ limit: String(pageLimit), ...(cursor ? { cursor } : {}) });
        const response = await fetch(`${service.origin}/api/v3/tokens?${query}`, { headers: { "x-auth-token": ADMIN } });
        assert.equal(response.status, 200);
        const listed = await response.json();
        tokens.push(...listed.tokens);
        cursor = listed.cursor;
      } while (cursor);
      return tokens;
    },

    async assertNoSecretShown() {
      const shown = await page().evaluate(() => document.body.innerText);
      for (const secret of tab.secrets) assert.ok(!shown.includes(secret), "a secret is on the page");
    },

    assertNoSecretInUrls() {
      const urls = [page().url(), ...tab.requests.map((request) => request.url)];
      for (const secret of tab.secrets) {
        assert.ok(!urls.some((url) => url.includes(secret) || url.includes(encodeURIComponent(secret))), "a secret is in a URL");
      }
    },

    assertNodeSawOnlyItsToken() {
      const { node } = service;
      assert.ok(node.received.length > 0);
      for (const seen of node.received) {
        // The health probes are public: the gateway sends them without the node's token.
        const expected = HEALTH_PATHS.includes(seen.path) ? undefined : NODE_TOKEN;
        assert.equal(seen.headers["x-auth-token"], expected, `${seen.path} came with the node's token only where it needs one`);
      }
      const everything = JSON.stringify(node.received);
      for (const secret of tab.secrets) assert.ok(!everything.includes(secret), "a caller's secret reached the node");
    },

    /**
     * The console errors not in `provoked`: pairs of a path pattern and a
     * status pattern of error answers a test asked for on purpose (Chromium
     * logs each as a failed load; Firefox does not).
     * @param {[RegExp, RegExp][]} [provoked]
     * @param {number} [from] the first error to look at
     */
    unexpectedConsoleErrors(provoked = [], from = 0) {
      const expected = (message) => {
        const status = /^Failed to load resource: the server responded with a status of (\d+) /.exec(message.text())?.[1];
        const path = message.location().url?.startsWith(service.origin) ? message.location().url.slice(service.origin.length) : "";
        return status !== undefined && provoked.some(([where, what]) => where.test(path) && what.test(status));
      };
      return tab.consoleErrors.slice(from).filter((message) => !expected(message)).map((message) => message.text());
    },
  };
  return helpers;
}
