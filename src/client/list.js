// What `TokensClient.listTokens()` and `listEvents(id)` return: awaited, the
// first page; iterated with `for await`, every page, following the cursors
// until the page without one. Nothing is fetched until it is awaited or
// iterated.

class Pages {
  #fetchPage;
  #options;
  #first;

  /** `fetchPage(options)` fetches one page. */
  constructor(fetchPage, options) {
    this.#fetchPage = fetchPage;
    this.#options = options ?? {};
  }

  #page() {
    return (this.#first ??= this.#fetchPage(this.#options));
  }

  then(resolved, rejected) {
    return this.#page().then(resolved, rejected);
  }

  catch(rejected) {
    return this.#page().catch(rejected);
  }

  finally(settled) {
    return this.#page().finally(settled);
  }

  /** Every page, from `options.cursor` (or the start) to the last. */
  async *[Symbol.asyncIterator]() {
    let cursor = this.#options.cursor;
    do {
      const page = await this.#fetchPage({ ...this.#options, cursor });
      yield page;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
}

export class TokenList extends Pages {
  /** `client` fetches one page with `listTokensPage(options)`. */
  constructor(client, options) {
    super((page) => client.listTokensPage(page), options);
  }

  /** Every token of every page. */
  async *tokens() {
    for await (const page of this) yield* page.tokens;
  }
}

export class EventList extends Pages {
  /** `client` fetches one page of token `id`'s events with `listEventsPage(id, options)`. */
  constructor(client, id, options) {
    super((page) => client.listEventsPage(id, page), options);
  }

  /** Every event of every page, newest first. */
  async *events() {
    for await (const page of this) yield* page.events;
  }
}
