// The console's create form, in two headless browser engines (Chromium and
// Firefox ESR), against `wrangler dev`: the capabilities collapsed by area
// with those no route here uses folded away, presets and search; a token
// created with calls limits and a lifetime, its secret shown once with how
// to use it, and copied; each problem shown beside its field, focused and
// marked invalid, before anything is sent; a delegated token held to what
// it holds (limits, lifetime, delegation depth, conditions); a used-up
// limit refused with its numbers; conditions (a spend budget, targets and
// listen ranges) stored exactly as typed, and a budget partly spent through
// the gateway shown exact to the wei; periodic limits ("100 calls an hour",
// "at most 5 wxHOPR a day") in the service's periods, stored exactly, and
// held to the creator's in a child's form.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ENGINES, ENGINE_NAMES } from "./browser.mjs";
import { ADMIN, useService, useTab } from "./console-kit.mjs";
import { choiceGroups } from "../../www/catalogue.js";
import { offers } from "../../www/rules.js";
import { periodChoices } from "../../www/periods.js";

const service = useService();

for (const engine of ENGINES) describe(`creating tokens in the console in ${ENGINE_NAMES[engine]}`, () => createSuite(engine));

function createSuite(engine) {
  const tab = useTab(engine, service);
  const { text, attribute, inputValue, click, fill, visible, isVisible, check, pick, fieldError, createdToken, signInAndWait, signOut, goTo } = tab;
  let parent;
  let child;

  /** What the clipboard holds, read the way a person does: pasted into a field (then emptied). */
  async function pastedClipboard() {
    await fill("#description", "");
    await click("#description");
    await tab.pressWithControl("v");
    const pasted = await inputValue("#description");
    await fill("#description", "");
    await tab.page.$eval("#description", (field) => field.blur());
    return pasted;
  }

  /** Submits the create form, expecting the console to refuse it beside `field` with `problem`, before sending anything. */
  async function refusedDraft(field, problem) {
    const before = tab.apiRequests().length;
    await click("#create-form button[type=submit]");
    await tab.page.waitForFunction((id) => document.getElementById(`${id}-error`), { timeout: 3_000 }, field.slice(1))
      .catch(async () => assert.fail(`no error beside ${field}; the form says: ${await text("#create-message")}`));
    assert.deepEqual(await fieldError(field), { text: problem, focused: true, invalid: "true", describedBy: true, beside: true, visible: true }, field);
    assert.equal(await text("#create-message"), "", "said beside the field, not under the form");
    assert.equal(tab.apiRequests().length, before, "nothing sent for a draft out of bounds");
  }

  test("the capabilities are collapsed by area; those no route here uses are folded away; presets and the search open what they tick or find", async () => {
    await tab.page.goto(`${service.origin}/#/create`);
    await signInAndWait(ADMIN);
    await visible("#create");
    const facts = await tab.serviceFacts();
    const groups = choiceGroups(offers({}, facts.catalogue), service.gateway, facts.areas);
    const unused = groups.find((group) => group.key === "unused");
    const drawn = await tab.page.$$eval("#choices details.choice-group", (all) => all.map((group) => ({
      key: group.dataset.group, open: group.open, summary: group.querySelector("summary").innerText, count: group.querySelectorAll("li.choice").length,
    })));
    assert.deepEqual(drawn.map((group) => [group.key, group.count]), groups.map((group) => [group.key, group.choices.length]), "a group per area, in order");
    assert.ok(drawn.every((group) => !group.open), "every group starts closed");
    assert.equal(drawn.at(-1).summary, `${unused.choices.length} more not used by any route here`);
    assert.match(drawn.find((group) => group.key === "node").summary, /^Node · \d+ capabilities$/);
    assert.equal(await tab.page.$$eval("#choices li.choice", (items) => items.filter((item) => item.checkVisibility()).length), 0, "nothing unfolded");
    // The form is short: the create button within two screens at 1280 × 800.
    assert.ok(await tab.page.$eval("#create-form button[type=submit]", (button) => button.getBoundingClientRect().bottom + scrollY) < 1600);

    // A preset ticks its capabilities and opens their groups; each summary counts what it holds.
    await click("#preset-list button[data-preset=read-only]");
    assert.match(await text("#create-message"), /read-only” preset ticked its \d+ capabilities/);
    const readOnly = service.gateway.presets.find((preset) => preset.name === "read-only").capabilities;
    assert.equal(await text("#picked-count"), `${readOnly.length} chosen`);
    assert.deepEqual((await tab.page.$$eval("#choices input[type=checkbox]:checked", (boxes) => boxes.map((box) => box.value))).sort(), [...readOnly].sort());
    assert.ok(await tab.page.$$eval("#choices input[type=checkbox]:checked", (boxes) => boxes.every((box) => box.checkVisibility())), "each ticked one is shown");
    assert.match(await tab.page.$eval('#choices details[data-group="node"] summary', (summary) => summary.innerText), / · \d+ chosen$/);
    await click("#pick-none");
    assert.equal(await text("#picked-count"), "");

    // The search opens the groups that hold what it finds, and shows nothing else; emptied, the groups are as they were.
    const openBefore = await tab.page.$$eval("#choices details.choice-group", (all) => all.map((group) => group.open));
    await fill("#choice-search", "/node/info");
    assert.deepEqual(await tab.page.$$eval("#choices li.choice", (items) => items.filter((item) => item.checkVisibility()).map((item) => item.dataset.endpoint)), ["nodeGetInfo"]);
    await fill("#choice-search", "aliases");
    assert.deepEqual(await tab.page.$$eval("#choices details.choice-group", (all) => all.filter((group) => group.checkVisibility()).map((group) => [group.dataset.group, group.open])),
      [["unused", true]], "found among those no route uses: their fold opens");
    await tab.emptyField("#choice-search");
    assert.deepEqual(await tab.page.$$eval("#choices details.choice-group", (all) => all.map((group) => group.open)), openBefore);
    // Each capability says what it opens; the tokens* are this service's own, the folded ones open nothing.
    await tab.reveal("#pick-tokensCreate");
    assert.match(await text('#choices details[data-group="tokens"]'), /Used by this token service itself/);
    await tab.reveal(`#pick-${unused.choices[0].endpoint}`);
    assert.match(await text('#choices details[data-group="unused"]'), /No route here uses it\./);
    assert.ok(await tab.fits());
    await tab.shot("create-collapsed", { fullPage: true });
  });

  test("a problem of the form is shown beside its field, focused and marked invalid, before anything is sent", async () => {
    await tab.page.reload();
    await visible("#create");
    const facts = await tab.serviceFacts();
    // Nothing chosen: said at the capabilities, which take the focus.
    const before = tab.apiRequests().length;
    await click("#create-form button[type=submit]");
    await visible("#capabilities-error");
    assert.equal(await text("#capabilities-error"), "Choose at least one capability.");
    assert.equal(await tab.focused(), "capabilities");
    assert.ok((await attribute("#capabilities", "aria-describedby")).split(" ").includes("capabilities-error"));
    assert.ok(await tab.page.$eval("#capabilities-error", (error) => error.previousElementSibling.id === "choices-hint"), "at the top of the capabilities");
    assert.equal(tab.apiRequests().length, before);
    // A calls limit out of bounds, in a group closed again since it was ticked.
    await check("#pick-nodeGetInfo");
    await fill("#limit-nodeGetInfo", "0");
    await click('#choices details[data-group="node"] > summary');
    assert.equal(await tab.page.$eval('#choices details[data-group="node"]', (group) => group.open), false);
    await refusedDraft("#limit-nodeGetInfo", `The calls limit of nodeGetInfo must be a whole number from ${facts.minCalls} to ${facts.maxCalls}.`);
    assert.equal(await tab.page.$eval('#choices details[data-group="node"]', (group) => group.open), true, "its group was opened to show it");
    assert.equal((await fieldError("#limit-nodeGetInfo")).invalid, "true");
    assert.equal(await isVisible("#capabilities-error"), false, "the last try's error is gone");
    // Typing a correction takes the mark away.
    await fill("#limit-nodeGetInfo", "10");
    assert.equal(await attribute("#limit-nodeGetInfo", "aria-invalid"), null);
    await tab.shot("field-error");
    // The lifetime, beside its field and its unit.
    await fill("#lifetime", String(Math.floor(facts.maxLifetime / 86400) + 1));
    await tab.page.select("#lifetime-unit", "days");
    await refusedDraft("#lifetime", `The lifetime may be at most ${Math.floor(facts.maxLifetime / 86400)} days: the service allows no longer.`);
    assert.equal((await fieldError("#lifetime")).invalid, "true");
    // By keyboard: Enter in the field sends the form; the error is announced, the field keeps the focus.
    await fill("#lifetime", "0");
    await tab.page.focus("#lifetime");
    await tab.page.keyboard.press("Enter");
    await tab.page.waitForFunction(() => document.getElementById("lifetime-error")?.textContent.includes("at least 1"));
    assert.equal(await attribute("#lifetime-error", "role"), "alert", "the field had the focus: the message is announced");
    assert.equal(await tab.focused(), "lifetime");
    await tab.page.select("#lifetime-unit", "hours");
    await click("#pick-none");
    await fill("#lifetime", "");
  });

  test("the admin creates a token with calls limits and a lifetime; its secret is shown once and copied", async () => {
    await pick({ tokensGetToken: "5", tokensCreate: "3", tokensDelete: "" });
    await fill("#lifetime", "2");
    await tab.page.select("#lifetime-unit", "hours");
    await fill("#description", `Console e2e parent ${"with-a-very-long-unbroken-description-".repeat(4)}end`);
    await click("#create-form button[type=submit]");
    parent = await createdToken();
    assert.match(parent.secret, /^etk_[0-9A-Za-z]{38}$/);
    assert.match(parent.id, /^[0-9A-Za-z]{22}$/);
    assert.match(await text("#created"), /cannot be shown again/);
    assert.match(await text("#create-message"), new RegExp(`Token ${parent.id} was created`));
    // The panel repeats what was granted, and how to use the secret.
    assert.deepEqual(await tab.page.$$eval("#created-granted li", (items) => items.map((item) => item.innerText)),
      ["tokensCreate at most 3 calls", "tokensGetToken at most 5 calls", "tokensDelete no calls limit"]);
    assert.match(await text("#created-description"), /^Console e2e parent/);
    assert.match(await text("#created-expiry"), /\d{4}.*UTC/);
    assert.equal(await text("#created-base"), service.origin);
    assert.equal(await text("#created-example"), `curl -H "x-auth-token: <the secret>" ${service.origin}/api/v3/tokens`, "tokens* open no node route: the listing, which any token may read");
    assert.equal(await tab.warnsBeforeLeaving(), true, "a reload would lose the secret: the browser asks first");
    // The form is empty again, ready for another token.
    assert.equal(await tab.page.$$eval("#choices input[type=checkbox]:checked", (boxes) => boxes.length), 0);
    assert.deepEqual([await inputValue("#lifetime"), await inputValue("#description"), await inputValue("#lifetime-unit")], ["", "", "hours"]);
    assert.equal(await isVisible("#limit-tokensGetToken"), false);
    assert.equal(await tab.page.$$eval("#create-form .field-error", (errors) => errors.length), 0);

    // Both engines let a page write the clipboard on a click, with no permission granted.
    await click("#copy-secret");
    await visible("#copy-message:not(:empty)");
    assert.equal(await text("#copy-message"), "Copied to the clipboard.");
    assert.equal(await pastedClipboard(), parent.secret);
    await tab.page.$eval("#created", (element) => element.scrollIntoView({ block: "center" }));
    await tab.shot("new-secret");
    await click("#created-done");
    assert.equal(await isVisible("#created"), false);
    assert.equal(await tab.page.$eval("#created-secret", (element) => element.textContent), "");
    assert.equal(await tab.warnsBeforeLeaving(), false, "nothing to lose any more");
    tab.assertNoSecretInUrls();
  });

  test("the issued token creates a narrower child, within its own bounds", async () => {
    await signOut();
    await signInAndWait(parent.secret);
    await goTo("create");
    const offered = await tab.page.$$eval("#choices li.choice", (items) => items.map((item) => item.dataset.endpoint));
    assert.deepEqual(offered.sort(), ["tokensCreate", "tokensDelete", "tokensGetToken"], "only what it holds");
    assert.ok(await tab.page.$$eval("#choices details.choice-group", (all) => all.every((group) => group.open)), "few to choose from: nothing folded");
    await check("#pick-tokensGetToken");
    assert.equal(await inputValue("#limit-tokensGetToken"), "5", "pre-filled with its own max");
    assert.equal(await attribute("#limit-tokensGetToken", "max"), "5");
    assert.match(await text("#lifetime-hint"), /at most [12] hours?\b/);

    await fill("#limit-tokensGetToken", "6");
    await refusedDraft("#limit-tokensGetToken", "The calls limit of tokensGetToken must be a whole number from 1 to 5.");
    await fill("#limit-tokensGetToken", "2");
    await fill("#lifetime", "3");
    const outlived = await tab.page.evaluate(() => document.getElementById("lifetime-hint").textContent.match(/at most (\d+ hours?)/)[1]);
    await refusedDraft("#lifetime", `The new token may not outlive yours: choose at most ${outlived}.`);

    await fill("#lifetime", "30");
    await tab.page.select("#lifetime-unit", "minutes");
    await fill("#description", "child");
    // No clipboard here: the console must say how to copy by hand.
    await tab.page.evaluate(() => Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true }));
    await click("#create-form button[type=submit]");
    child = await createdToken();
    assert.notEqual(child.id, parent.id);
    await click("#copy-secret");
    await visible("#copy-message:not(:empty)");
    assert.match(await text("#copy-message"), /not available here.*selected/);
    assert.equal(await tab.page.evaluate(() => getSelection().toString()), child.secret);
    await click("#created-done");
    await goTo("me");
    assert.match(await tab.heldRow("tokensCreate"), /1 of 3 calls used/);
  });

  test("a used-up calls limit is refused by the service, readably", async () => {
    await goTo("create");
    // The parent may create 3 tokens; the child was the first. The 4th create is refused.
    for (const count of [2, 3]) {
      // The form was emptied by the last create: pick again (its limit is pre-filled with the holder's).
      await check("#pick-tokensGetToken");
      await click("#create-form button[type=submit]");
      await createdToken();
      await click("#created-done");
      await goTo("me");
      await tab.heldRow(`${count} of 3 calls used`);
      await goTo("create");
    }
    await check("#pick-tokensGetToken");
    await click("#create-form button[type=submit]");
    await visible("#create-message.error");
    // The reason, and the numbers of the token's own limit as the console counted them.
    assert.equal(await text("#create-message"),
      "Your token may not create tokens: its calls limit for tokensCreate is used up (3 of 3 calls used).");
    assert.equal(await isVisible("#created"), false);
  });

  test("deleting the child by its id asks first, naming it and what goes with it; cancelling deletes nothing", async () => {
    await goTo("tokens");
    const deletes = () => tab.apiRequests().filter((request) => request.method === "DELETE").length;
    const before = deletes();
    // An id that cannot be one is refused beside the field, without a request.
    await fill("#delete-id", "not an id");
    await click("#delete-form button[type=submit]");
    await visible("#delete-id-error");
    const facts = await tab.serviceFacts();
    assert.deepEqual(await fieldError("#delete-id"), {
      text: `Check the id: a token id is exactly ${facts.tokenId.maxLength} letters and digits.`,
      focused: true, invalid: "true", describedBy: true, beside: true, visible: true,
    });
    await tab.confirmDeletion(child.id);
    assert.equal(await isVisible("#delete-id-error"), false);
    assert.equal(await isVisible("#confirm-self"), false);
    assert.equal(await text("#confirm-name"), "“child”");
    assert.equal(await text("#confirm-below"), "No token was made from it: only this one goes.");
    await click("#confirm-cancel");
    assert.equal(await text("#delete-message"), "Nothing was deleted.");
    await tab.confirmDeletion(child.id);
    await tab.page.keyboard.press("Escape");
    assert.equal(await isVisible("#confirm-delete"), false);
    assert.equal(deletes(), before, "no delete without a confirmation");

    await tab.confirmDeletion(child.id);
    await click("#confirm-ok");
    await visible("#delete-message.ok");
    assert.equal(await text("#delete-message"), `Token “child” (${child.id}) was deleted.`);
    assert.ok(tab.requests.some((request) => request.method === "DELETE" && request.url.endsWith(`/api/v3/tokens/${child.id}`)));
    assert.equal(await inputValue("#delete-id"), "");
    await signOut();
  });

  test("a token at the deepest level of delegation is told how deep it may go, from the service's own bound", async () => {
    const { maxDepth } = await tab.serviceFacts();
    // A chain of tokens, each created by the one before, until the service refuses one more level.
    let secret = ADMIN;
    let levels = 0;
    for (;;) {
      const response = await fetch(`${service.origin}/api/v3/tokens`, {
        method: "POST",
        headers: { "x-auth-token": secret, "content-type": "application/json" },
        // The first expires in an hour; the others expire with it.
        body: JSON.stringify({ capabilities: [{ endpoint: "tokensCreate" }, { endpoint: "tokensGetToken" }], ...(levels === 0 ? { lifetime: 3600 } : {}) }),
      });
      if (response.status === 403) {
        assert.equal((await response.json()).reason, "depth_limit");
        break;
      }
      assert.equal(response.status, 201);
      secret = (await response.json()).token;
      tab.secrets.push(secret);
      levels += 1;
      assert.ok(levels <= maxDepth + 1, "the service refuses deeper delegation");
    }
    assert.equal(levels, maxDepth + 1, "the admin's token and as many levels below it as the document says");
    await signInAndWait(secret);
    await goTo("create");
    await pick({ tokensGetToken: "" });
    await click("#create-form button[type=submit]");
    await visible("#create-message.error");
    assert.equal(await text("#create-message"),
      `Tokens can be handed down only ${maxDepth} levels deep, and yours is at the deepest level: it cannot create tokens. Use a token nearer the admin token.`);
    await signOut();
  });

  // ---- conditions: spend budgets, targets, listen ranges ----------------------

  const PEER = "0xb4ce7e6e36ac8b01a974725d5ba730af2b156fbe";
  const OTHER = "0xa8194d36e322592d4c707b70dbe96121f5c74c64";
  const STRANGER = "0x1111111111111111111111111111111111111111";
  let conditioned;
  let narrower;

  /** A token's capabilities as the service stored them (read by the admin), by endpoint. */
  async function storedCapabilities(id) {
    const response = await fetch(`${service.origin}/api/v3/tokens/${id}`, { headers: { "x-auth-token": ADMIN } });
    assert.equal(response.status, 200);
    return Object.fromEntries((await response.json()).capabilities.map(({ endpoint, limits }) => [endpoint, limits]));
  }

  test("the admin creates a token with a spend budget, targets and listen ranges; the service stores exactly those", async () => {
    await signInAndWait(ADMIN);
    await goTo("create");
    // Only a picked capability shows its conditions, and only those its routes take, in their currencies.
    assert.equal(await isVisible("#spend-channelsFundChannels-wxHOPR"), false);
    await check("#pick-channelsFundChannels");
    await visible("#spend-channelsFundChannels-wxHOPR");
    const fund = service.gateway.capabilities.find((capability) => capability.name === "channelsFundChannels");
    assert.deepEqual(await tab.page.$$eval('#choices li[data-endpoint="channelsFundChannels"] .condition-spend', (inputs) => inputs.map((input) => input.dataset.currency)),
      fund.currencies, "a spend field for each currency of the gateway's table");
    assert.equal(await tab.page.$("#listen-channelsFundChannels"), null, "funding opens no listener");
    await check("#pick-accountWithdraw");
    assert.deepEqual(await tab.page.$$eval('#choices li[data-endpoint="accountWithdraw"] .condition-spend', (inputs) => inputs.map((input) => input.dataset.currency)),
      service.gateway.capabilities.find((capability) => capability.name === "accountWithdraw").currencies);
    await click("#pick-accountWithdraw");
    assert.equal(await isVisible("#spend-accountWithdraw-xDai"), false, "unpicked: its conditions are hidden again");

    await fill("#spend-channelsFundChannels-wxHOPR", "1");
    await fill("#targets-channelsFundChannels", `${PEER}\n0x1234`);
    await check("#pick-sessionsCreateClient");
    assert.match(await text("#listen-sessionsCreateClient-hint"), /Without any, they may listen on loopback addresses only\./);
    await fill("#listen-sessionsCreateClient", "127.0.0.1:10000-10100\n[::1]:8080");
    await pick({ tokensCreate: "", tokensGetToken: "" });
    await fill("#lifetime", "1");
    await fill("#description", `conditions ${engine}`);
    await refusedDraft("#targets-channelsFundChannels", "Line 2 of the target addresses of channelsFundChannels is not an on-chain address: “0x1234”.");
    await fill("#spend-channelsFundChannels-wxHOPR", "0.0000000000000000001");
    await fill("#targets-channelsFundChannels", `${PEER}\n${OTHER.toUpperCase().replace("0X", "0x")}`);
    await refusedDraft("#spend-channelsFundChannels-wxHOPR", "The spend budget of channelsFundChannels in wxHOPR may have at most 18 decimals.");
    await fill("#spend-channelsFundChannels-wxHOPR", "1");
    await tab.page.setViewport({ width: 390, height: 844 });
    await tab.page.$eval('#choices li[data-endpoint="channelsFundChannels"]', (element) => element.scrollIntoView());
    assert.ok(await tab.fits(), "the condition fields fit 390 px");
    await tab.shot("conditions-form-phone");
    await tab.page.setViewport({ width: 1280, height: 800 });
    await click("#create-form button[type=submit]");
    conditioned = await createdToken();

    // The summary says what was granted, the targets shortened and in full.
    const granted = await tab.page.$$eval("#created-granted > li", (items) => Object.fromEntries(items.map((item) => [item.querySelector("code").textContent, item.innerText])));
    assert.match(granted.channelsFundChannels, /no calls limit, at most 1 wxHOPR moved\s+Only to 2 addresses: 0xb4ce…6fbe, 0xA819…4C64/, "as typed");
    assert.match(granted.sessionsCreateClient, /no calls limit, sessions listen only on 127\.0\.0\.1:10000-10100, \[::1\]:8080/);
    assert.deepEqual(await tab.page.$$eval("#created-granted details code", (codes) => codes.map((code) => code.textContent)), [PEER, OTHER.toUpperCase().replace("0X", "0x")]);
    await tab.page.$eval("#created-granted", (element) => element.scrollIntoView({ block: "center" }));
    await tab.shot("conditions-created");
    await click("#created-done");

    // As stored: the service's own spelling (the amount as the node writes it, addresses in lower case, sorted).
    const stored = await storedCapabilities(conditioned.id);
    assert.deepEqual(stored.channelsFundChannels, [
      { type: "spend", conditions: { max: "1 wxHOPR" }, used: "0 wxHOPR" },
      { type: "targets", conditions: { allow: [OTHER, PEER] } },
    ]);
    assert.deepEqual(stored.sessionsCreateClient, [{ type: "listen", conditions: { allow: ["127.0.0.1:10000-10100", "[::1]:8080"] } }]);
    assert.deepEqual([stored.tokensCreate, stored.tokensGetToken], [undefined, undefined], "unlimited: no limits field");
    assert.equal(Object.keys(stored).length, 4);
  });

  test("a delegated token's form keeps its creator's conditions, no wider; the service agrees", async () => {
    await signOut();
    await signInAndWait(conditioned.secret);
    // Its own view shows them.
    await goTo("me");
    assert.match(await tab.heldRow("channelsFundChannels"), /0 of 1 wxHOPR moved, 1 wxHOPR left/);
    assert.match(await tab.heldRow("channelsFundChannels"), /Only to 2 addresses: 0xa819…4c64, 0xb4ce…6fbe/);
    assert.match(await tab.heldRow("sessionsCreateClient"), /Sessions listen only on 127\.0\.0\.1:10000-10100, \[::1\]:8080/);
    await goTo("create");
    assert.match(await text("#choices-hint"), /Where yours has conditions, the new token keeps them, no wider: a spend budget no larger .* targets among yours, and listen ranges within yours/);

    // The form starts from its own conditions.
    await check("#pick-channelsFundChannels");
    assert.equal(await inputValue("#spend-channelsFundChannels-wxHOPR"), "1");
    assert.match(await text("#spend-channelsFundChannels-wxHOPR-hint"), /At most 1 wxHOPR, as your token's\./);
    assert.equal(await inputValue("#targets-channelsFundChannels"), `${OTHER}\n${PEER}`);
    await check("#pick-sessionsCreateClient");
    assert.equal(await inputValue("#listen-sessionsCreateClient"), "127.0.0.1:10000-10100\n[::1]:8080");
    assert.match(await text("#listen-sessionsCreateClient-hint"), /must be within them/);
    await tab.page.$eval('#choices li[data-endpoint="channelsFundChannels"]', (element) => element.scrollIntoView());
    await tab.shot("conditions-delegated-form");

    // Wider is refused, each by the console first, beside its field.
    await fill("#spend-channelsFundChannels-wxHOPR", "1.5");
    await refusedDraft("#spend-channelsFundChannels-wxHOPR", "The spend budget of channelsFundChannels in wxHOPR may be at most 1 wxHOPR: yours is no larger.");
    await fill("#spend-channelsFundChannels-wxHOPR", "");
    await refusedDraft("#spend-channelsFundChannels-wxHOPR", "Give channelsFundChannels a spend budget of at most 1 wxHOPR: yours has one, and the new token must keep it.");
    await fill("#spend-channelsFundChannels-wxHOPR", "0.5");
    await fill("#targets-channelsFundChannels", `${PEER}\n${STRANGER}`);
    await refusedDraft("#targets-channelsFundChannels", `Line 2 of the target addresses of channelsFundChannels is not among your token's own targets: “${STRANGER}”.`);
    await fill("#targets-channelsFundChannels", PEER.toUpperCase().replace("0X", "0x"));
    await fill("#listen-sessionsCreateClient", "127.0.0.1:10050-10060\n0.0.0.0:10000");
    await refusedDraft("#listen-sessionsCreateClient",
      "Line 2 of the listen ranges of sessionsCreateClient is not within your token's own (127.0.0.1:10000-10100, [::1]:8080): “0.0.0.0:10000”.");

    // The service agrees: each of those, sent anyway, is refused.
    const asConditioned = (capabilities) => fetch(`${service.origin}/api/v3/tokens`, {
      method: "POST",
      headers: { "x-auth-token": conditioned.secret, "content-type": "application/json" },
      body: JSON.stringify({ capabilities }),
    });
    const spend = (max) => ({ type: "spend", conditions: { max } });
    const targets = (...allow) => ({ type: "targets", conditions: { allow } });
    const listen = (...allow) => ({ type: "listen", conditions: { allow } });
    for (const capability of [
      { endpoint: "channelsFundChannels", limits: [spend("1.5 wxHOPR"), targets(PEER)] },
      { endpoint: "channelsFundChannels", limits: [targets(PEER)] },
      { endpoint: "channelsFundChannels", limits: [spend("0.5 wxHOPR"), targets(PEER, STRANGER)] },
      { endpoint: "channelsFundChannels", limits: [spend("0.5 wxHOPR")] },
      { endpoint: "sessionsCreateClient", limits: [listen("127.0.0.1:10050-10060", "0.0.0.0:10000")] },
      { endpoint: "sessionsCreateClient", limits: [] },
    ]) {
      const refused = await asConditioned([capability]);
      assert.equal(refused.status, 403, JSON.stringify(capability));
      assert.deepEqual(await refused.json(), { status: "FORBIDDEN", error: "requested token capabilities not allowed", reason: "capabilities_not_allowed" });
    }

    // Narrower is created, and stored exactly so.
    await fill("#listen-sessionsCreateClient", "127.0.0.1:10050-10060");
    await fill("#description", `narrower ${engine}`);
    await click("#create-form button[type=submit]");
    narrower = await createdToken();
    await click("#created-done");
    const stored = await storedCapabilities(narrower.id);
    assert.deepEqual(stored.channelsFundChannels, [
      { type: "spend", conditions: { max: "0.5 wxHOPR" }, used: "0 wxHOPR" },
      { type: "targets", conditions: { allow: [PEER] } },
    ]);
    assert.deepEqual(stored.sessionsCreateClient, [{ type: "listen", conditions: { allow: ["127.0.0.1:10050-10060"] } }]);
  });

  test("a partly spent budget shows what was moved and what is left, exact to the wei", async () => {
    // Signed in with the conditioned token since the test before: signed out whatever happens, for the tests after.
    try {
      const fund = (secret, amount, address = PEER) => fetch(`${service.origin}/api/v4/channels/${address}/fund`, {
        method: "POST",
        headers: { "x-auth-token": secret, "content-type": "application/json" },
        body: JSON.stringify({ amount }),
      });
      const { node } = service;
      const from = node.received.length;
      const funded = await fund(conditioned.secret, "0.3 wxHOPR");
      assert.equal(funded.status, 200, `the gateway forwards a call within the budget: ${await funded.clone().text()}`);
      assert.equal(node.received.slice(from).filter((seen) => seen.path === `/api/v4/channels/${PEER}/fund`).length, 1, "the node was asked once");
      // Outside the conditions: refused, and never forwarded.
      const over = await fund(conditioned.secret, "0.8 wxHOPR");
      assert.equal(over.status, 403);
      assert.equal((await over.json()).reason, "condition_failed");
      assert.equal((await fund(conditioned.secret, "0.1 wxHOPR", STRANGER)).status, 403);
      assert.equal(node.received.length, from + 1, "a refused call never reaches the node");

      // Its own view, read again (free).
      await goTo("me");
      await click("#refresh");
      await visible("#status.ok");
      assert.match(await tab.heldRow("channelsFundChannels"), /0\.3 of 1 wxHOPR moved, 0\.7 wxHOPR left/);
      const meter = await tab.page.$$eval("#mine-capabilities li", (items) => {
        const found = items.find((item) => item.innerText.includes("channelsFundChannels")).querySelector("meter");
        return [found.value, found.max, found.getAttribute("aria-label")];
      });
      assert.deepEqual(meter, [0.3, 1, "channelsFundChannels: 0.3 of 1 wxHOPR moved, 0.7 wxHOPR left"]);
      // Its row in the list: on one line, the budget's use in full on hover.
      await goTo("tokens");
      await click("#tokens-reload");
      await tab.listRead();
      const row = `#tokens-list .token-row[data-id="${conditioned.id}"]`;
      await tab.page.waitForFunction((row) => document.querySelector(row)?.innerText.includes("0.3 of 1 wxHOPR moved"), {}, row);
      assert.match(await attribute(`${row} .token-caps`, "title"), /^channelsFundChannels: 0\.3 of 1 wxHOPR moved, 0\.7 wxHOPR left, only to 2 addresses: 0xa819…4c64, 0xb4ce…6fbe$/m);
      await click(`${row} .token-open`);
      await tab.detailRead(conditioned.id);
      assert.match(await text("#detail-capabilities"), /channelsFundChannels\s+no calls limit\s+0\.3 of 1 wxHOPR moved, 0\.7 wxHOPR left/);
      // The targets in full, one click away.
      const summary = "#detail-capabilities details.held-targets > summary";
      const fullShown = () => tab.page.$eval("#detail-capabilities details.held-targets li", (item) => item.checkVisibility());
      assert.equal(await fullShown(), false);
      await click(summary);
      assert.equal(await fullShown(), true);
      assert.deepEqual(await tab.page.$$eval("#detail-capabilities details.held-targets li", (items) => items.map((item) => item.innerText)), [OTHER, PEER]);

      // One wei more, by the token below it: shared up the tree, and exact (floating point would say 0.7).
      assert.equal((await fund(narrower.secret, "1 wei wxHOPR")).status, 200);
      await tab.page.reload();
      await tab.detailRead(conditioned.id);
      await tab.page.waitForFunction(() => document.getElementById("detail-capabilities").innerText.includes("0.300000000000000001 of 1 wxHOPR moved"));
      assert.match(await text("#detail-capabilities"), /0\.300000000000000001 of 1 wxHOPR moved, 0\.699999999999999999 wxHOPR left/);
      await tab.page.setViewport({ width: 390, height: 844 });
      assert.ok(await tab.fits(), "a token's conditions fit 390 px");
      // A shortened address is never broken in the middle: each line of the targets is one line on a phone too.
      assert.ok(await tab.page.$eval(summary, (element) => {
        const range = document.createRange();
        range.selectNodeContents(element);
        const text = element.textContent;
        const start = text.indexOf("0xa819…4c64");
        range.setStart(element.firstChild, start);
        range.setEnd(element.firstChild, start + "0xa819…4c64".length);
        return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size === 1;
      }), "0xa819…4c64 on one line");
      await tab.page.$eval("#detail-capabilities", (element) => element.scrollIntoView());
      await tab.shot("conditions-detail-phone");
      await tab.page.setViewport({ width: 1280, height: 800 });
      await tab.page.$eval("#detail-capabilities", (element) => element.scrollIntoView());
      await tab.shot("conditions-detail");
      await click(`#detail-children li[data-id="${narrower.id}"] a`);
      await tab.detailRead(narrower.id);
      assert.match(await text("#detail-capabilities"), /0\.000000000000000001 of 0\.5 wxHOPR moved, 0\.499999999999999999 wxHOPR left/);
      assert.match(await text("#detail-capabilities"), /Only to 1 address: 0xb4ce…6fbe/);
      assert.match(await text("#detail-capabilities"), /Sessions listen only on 127\.0\.0\.1:10050-10060/);
      await click("#detail-back");
      await visible("#tokens");
    } finally {
      await signOut();
    }
  });

  test("periodic limits: “100 calls an hour” and “at most 5 wxHOPR a day”, in the periods the service allows; a child keeps them, no wider", async () => {
    await signInAndWait(ADMIN);
    try {
      await goTo("create");
      await check("#pick-channelsFundChannels");
      await visible("#every-channelsFundChannels");
      // The periods offered: the clock's spans within the service's bounds, read from its OpenAPI document.
      const { minPeriod, maxPeriod, minCalls } = await tab.serviceFacts();
      const offered = await tab.page.$$eval("#every-channelsFundChannels-period option", (options) => options.map((option) => [Number(option.value), option.textContent]));
      assert.deepEqual(offered, periodChoices({ minPeriod, maxPeriod }).map((choice) => [choice.seconds, choice.label]));
      assert.ok(offered.every(([seconds]) => seconds >= minPeriod && seconds <= maxPeriod) && offered.length >= 4, JSON.stringify(offered));
      assert.equal(await inputValue("#every-channelsFundChannels-period"), "3600", "an hour at first");
      await fill("#every-channelsFundChannels", "100");
      await fill("#spend-every-channelsFundChannels-wxHOPR", "0");
      await tab.page.select("#spend-every-channelsFundChannels-wxHOPR-period", "86400");
      await pick({ tokensCreate: "" });
      await fill("#description", `periodic ${engine}`);
      await refusedDraft("#spend-every-channelsFundChannels-wxHOPR", "The spend budget of channelsFundChannels in wxHOPR per period must be more than 0.");
      await fill("#spend-every-channelsFundChannels-wxHOPR", "5");
      await click("#create-form button[type=submit]");
      const periodic = await createdToken();
      assert.match(await text("#created-granted"), /channelsFundChannels\s+at most 100 calls an hour, at most 5 wxHOPR moved a day/);
      await click("#created-done");
      const stored = await storedCapabilities(periodic.id);
      assert.deepEqual(stored.channelsFundChannels.map(({ type, conditions }) => ({ type, conditions })), [
        { type: "calls", conditions: { max: 100, period: 3600 } },
        { type: "spend", conditions: { max: "5 wxHOPR", period: 86_400 } },
      ]);

      // Signed in with it: its form starts from its own, and a wider draft is refused before any request.
      await signOut();
      await signInAndWait(periodic.secret);
      await goTo("create");
      await check("#pick-channelsFundChannels");
      assert.equal(await inputValue("#every-channelsFundChannels"), "100");
      assert.equal(await inputValue("#spend-every-channelsFundChannels-wxHOPR"), "5");
      const periods = await tab.page.$$eval("#spend-every-channelsFundChannels-wxHOPR-period option", (options) => options.map((option) => Number(option.value)));
      assert.ok(periods[0] === 86_400 && periods.every((seconds) => seconds >= 86_400), "no shorter a period than its own");
      await fill("#every-channelsFundChannels", "101");
      await refusedDraft("#every-channelsFundChannels", `The calls limit of channelsFundChannels per period must be a whole number from ${minCalls} to 100.`);
      await fill("#every-channelsFundChannels", "10");
      await tab.page.select("#every-channelsFundChannels-period", "86400");
      await fill("#spend-every-channelsFundChannels-wxHOPR", "6");
      await refusedDraft("#spend-every-channelsFundChannels-wxHOPR", "The spend budget of channelsFundChannels in wxHOPR per period may be at most 5 wxHOPR: yours is no larger.");
      await fill("#spend-every-channelsFundChannels-wxHOPR", "2");
      await click("#create-form button[type=submit]");
      const narrow = await createdToken();
      await click("#created-done");
      assert.deepEqual((await storedCapabilities(narrow.id)).channelsFundChannels.map(({ type, conditions }) => ({ type, conditions })), [
        { type: "calls", conditions: { max: 10, period: 86_400 } },
        { type: "spend", conditions: { max: "2 wxHOPR", period: 86_400 } },
      ]);
      // Its use in the current span, on its own view.
      await goTo("me");
      assert.match(await tab.heldRow("channelsFundChannels"), /0 of 100 calls in the last hour/);
      assert.match(await tab.heldRow("channelsFundChannels"), /0 of 5 wxHOPR moved in the last day/);
    } finally {
      await signOut();
    }
  });

  test("no console errors but those provoked, no secret in a URL or in localStorage", async () => {
    // Chromium logs every error answer as a failed load (Firefox does not).
    // Provoked on purpose: the 403s of POST /api/v3/tokens (a used-up limit, the depth bound).
    assert.deepEqual(tab.unexpectedConsoleErrors([[/^\/api\/v3\/tokens$/, /^403$/]]), []);
    tab.assertNoSecretInUrls();
    assert.deepEqual(await tab.storage(), { session: {}, local: {} });
  });
}
