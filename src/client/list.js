// What `TokensClient.listTokens()` returns: awaited, the first page;
// iterated with `for await`, every page, following the cursors until the page
// without one. Nothing is fetched until it is awaited or iterated.

export class TokenList {
  #client;
  #options;
  #first;

  /** `client` fetches one page with `listTokensPage(options)`. */
  constructor(client, options) {
    this.#client = client;
    this.#options = options ?? {};
  }

  #page() {
    return (this.#first ??= this.#client.listTokensPage(this.#options));
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
      const page = await this.#client.listTokensPage({ ...this.#options, cursor });
      yield page;
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /** Every token of every page. */
  async *tokens() {
    for await (const page of this) yield* page.tokens;
  }
}
