// The local secrets of `npm start` (.ci/start), which never go on a command
// line, where `ps` would show them to every local user:
//
//   node .ci/dev-vars.mjs admin
//     Makes sure there is an admin token: $API_TOKEN when set, otherwise the
//     API_TOKEN of .dev.vars, which it creates (or adds to .dev.vars) with a
//     new random token when there is none, and shows that new token once.
//     Warns when the token is too weak for the Worker. Prints where the token
//     comes from, never the token itself.
//
//   node .ci/dev-vars.mjs origin
//     Warns when a node is named (ORIGIN_URL in the environment, .dev.vars
//     or wrangler.toml's [vars]) but no ORIGIN_TOKEN is set for it.
//
//   node .ci/dev-vars.mjs secrets-file PATH
//     Writes PATH (mode 600), a dotenv file for `wrangler dev --env-file`:
//     the entries of .dev.vars with $API_TOKEN and $ORIGIN_TOKEN, when set,
//     in their place. (With --env-file, wrangler does not read .dev.vars.)
//
// Messages go to stderr; stdout carries only the answer .ci/start reads.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const DEV_VARS = ".dev.vars";
const SECRETS = ["API_TOKEN", "ORIGIN_TOKEN"];
// The Worker answers 503 MISCONFIGURED to an admin token shorter than this, in
// characters (Unicode scalar values), or made of whitespace only.
const MIN_ADMIN_TOKEN_CHARS = 32;

const [command, ...args] = process.argv.slice(2);
try {
  if (command === "admin" && args.length === 0) admin();
  else if (command === "origin" && args.length === 0) origin();
  else if (command === "secrets-file" && args.length === 1) secretsFile(args[0]);
  else throw new Error("usage: node .ci/dev-vars.mjs admin | origin | secrets-file PATH");
} catch (error) {
  console.error(`edge-tokens: ${error.message}`);
  process.exit(1);
}

function admin() {
  let token;
  let source;
  if (process.env.API_TOKEN) {
    token = process.env.API_TOKEN;
    source = "the API_TOKEN environment variable";
  } else {
    const vars = readDevVars();
    if (vars.API_TOKEN === undefined) {
      vars.API_TOKEN = `adm_${randomBytes(32).toString("base64url")}`;
      const existed = existsSync(DEV_VARS);
      const old = existed ? readFileSync(DEV_VARS, "utf8") : "";
      const separator = old === "" || old.endsWith("\n") ? "" : "\n";
      writeFileSync(DEV_VARS, `${old}${separator}API_TOKEN="${vars.API_TOKEN}"\n`, { mode: 0o600 });
      chmodSync(DEV_VARS, 0o600);
      const done = !existed ? `Created ${DEV_VARS} with a new admin token` : `Added a new admin token to ${DEV_VARS}`;
      console.error(`\n${done}:\n\n  ${vars.API_TOKEN}\n`);
    }
    token = vars.API_TOKEN;
    // Not the token: this line lands in terminal scrollback and CI logs.
    source = `${DEV_VARS} (its API_TOKEN line)`;
  }
  // As the Worker counts: Rust's chars() and trim() (Unicode White_Space).
  const chars = [...token].length;
  const blank = /^\p{White_Space}*$/u.test(token);
  if (chars < MIN_ADMIN_TOKEN_CHARS || blank) {
    const what = blank ? "is only whitespace" : `has ${chars} characters`;
    const fix = process.env.API_TOKEN
      ? `set API_TOKEN to a longer random value, or unset it to use ${DEV_VARS}`
      : `delete ${DEV_VARS} (or just its API_TOKEN line) and run npm start again for a new one, or set a longer API_TOKEN in the environment`;
    console.error(
      `\nedge-tokens: WARNING: the admin token from ${process.env.API_TOKEN ? "$API_TOKEN" : DEV_VARS} ${what}; ` +
        `admin tokens need at least ${MIN_ADMIN_TOKEN_CHARS} characters, not only whitespace.\n` +
        `  Until it is replaced, the service answers every authenticated request with 503 MISCONFIGURED.\n` +
        `  To replace it: ${fix}.\n`,
    );
  }
  process.stdout.write(source);
}

function origin() {
  const url = [process.env.ORIGIN_URL, readDevVars().ORIGIN_URL, wranglerVar("ORIGIN_URL")].find((value) => value?.trim());
  const token = process.env.ORIGIN_TOKEN || readDevVars().ORIGIN_TOKEN;
  if (url && !token) {
    console.error(
      `\nedge-tokens: WARNING: ORIGIN_URL names a node (${url.trim()}) but ORIGIN_TOKEN is not set.\n` +
        `  The gateway then forwards calls without the node's API token, and a node that checks it refuses them.\n` +
        `  Set ORIGIN_TOKEN to the node's API token, in the environment or in ${DEV_VARS}.\n`,
    );
  }
}

/** A variable of wrangler.toml's [vars] table, written as that file writes them: `NAME = "value"`. */
function wranglerVar(name) {
  const vars = readFileSync("wrangler.toml", "utf8").split(/^\[vars\][ \t]*$/m)[1]?.split(/^\[/m)[0] ?? "";
  return vars.match(new RegExp(`^${name}[ \t]*=[ \t]*"([^"]*)"`, "m"))?.[1];
}

function secretsFile(path) {
  const vars = readDevVars();
  for (const name of SECRETS) if (process.env[name]) vars[name] = process.env[name];
  const text = Object.entries(vars).map(([name, value]) => dotenvLine(name, value)).join("");
  // Wrangler reads --env-file with dotenv, then expands $NAME and ${NAME}
  // (dotenv-expand), then turns \$ into $: check that it reads back exactly.
  const read = Object.fromEntries(Object.entries(parse(text)).map(([name, value]) => [name, value.replace(/\\\$/g, "$")]));
  if (JSON.stringify(read) !== JSON.stringify(vars)) throw new Error(`cannot write ${Object.keys(vars).join(", ")} to a dotenv file that reads back the same`);
  writeFileSync(path, text, { mode: 0o600, flag: "wx" });
}

/** One `NAME=value` line that dotenv, then dotenv-expand, read back as `value`. */
function dotenvLine(name, value) {
  if (/[\r\n]/.test(value)) throw new Error(`${name} contains a line break, which wrangler dev's env file cannot carry`);
  const escaped = value.replace(/\$/g, "\\$");
  for (const quoted of [`'${escaped}'`, `\`${escaped}\``, `"${escaped}"`, escaped]) {
    const line = `${name}=${quoted}\n`;
    const read = parse(`${line}NEXT=next\n`);
    if (read[name] === escaped && read.NEXT === "next") return line;
  }
  throw new Error(`${name} contains characters that wrangler dev's env file cannot carry (a mix of quotes and a trailing backslash)`);
}

/** The entries of .dev.vars, read as wrangler dev reads it (dotenv, no expansion). */
function readDevVars() {
  return existsSync(DEV_VARS) ? parse(readFileSync(DEV_VARS, "utf8")) : {};
}

/** dotenv 16.3.1's `parse`, the version wrangler 4.86 bundles. */
function parse(src) {
  const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;
  const obj = {};
  const lines = src.toString().replace(/\r\n?/gm, "\n");
  let match;
  while ((match = LINE.exec(lines)) != null) {
    const key = match[1];
    let value = (match[2] || "").trim();
    const maybeQuote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (maybeQuote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    obj[key] = value;
  }
  return obj;
}
