// Keeps the documents true to the repository: the README fits on a screen
// (at most 250 lines); every link of README.md, docs/*.md and BENCHMARKS.md
// stays inside the repository and resolves to a file (an #anchor to a
// heading of it), so nothing breaks once published; every repository path
// written as code (`src/...`, `tests/...`) exists, unless git ignores it;
// and the API document's tables of errors and refusal reasons hold every
// error code of src/contract/error.rs with its HTTP status, and every
// refusal reason, and nothing else. Run by .ci/test; prints each problem and exits 1.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const README_MAX_LINES = 250;
const DOCUMENTS = ["README.md", "BENCHMARKS.md", ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];
const CODE_PATH = /^(?:src|tests|www|bench|docs|\.ci)\/[\w./-]*$/;

const problems = [];
const lineCount = read("README.md").split("\n").length - (read("README.md").endsWith("\n") ? 1 : 0);
if (lineCount > README_MAX_LINES) problems.push(`README.md: ${lineCount} lines, more than ${README_MAX_LINES}`);
for (const document of DOCUMENTS) checkDocument(document);
checkErrorTable("docs/api.md", "src/contract/error.rs");

if (problems.length > 0) {
  console.error(`docs: ${problems.length} problem(s):\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
  process.exit(1);
}
console.log(`docs: README.md ${lineCount} lines; ${DOCUMENTS.length} documents, their links, anchors and code paths resolve; the error table matches src/contract/error.rs`);

function read(path) {
  return readFileSync(join(ROOT, path), "utf8");
}

/** The document's prose: fenced code blocks dropped, code spans kept apart. */
function prose(text) {
  const spans = [];
  const outside = [];
  let fence = null;
  for (const line of text.split("\n")) {
    const marker = line.match(/^\s*(```|~~~)/)?.[1];
    if (marker && (fence === null || fence === marker)) {
      fence = fence === null ? marker : null;
      outside.push("");
      continue;
    }
    outside.push(fence === null ? line.replace(/`+([^`]*?)`+/g, (_, code) => (spans.push(code.trim()), "code")) : "");
  }
  return { text: outside.join("\n"), spans };
}

function checkDocument(document) {
  const { text, spans } = prose(read(document));
  for (const [, target] of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) checkLink(document, target);
  for (const span of spans) {
    if (!CODE_PATH.test(span)) continue;
    const path = span.replace(/\/$/, "");
    if (!existsSync(join(ROOT, path)) && !ignoredByGit(path)) problems.push(`${document}: \`${span}\` names no file or folder of the repository`);
  }
}

function checkLink(document, target) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
    problems.push(`${document}: link ${target} leaves the repository`);
    return;
  }
  const [path, anchor] = target.split("#", 2);
  const file = path === "" ? join(ROOT, document) : resolve(join(ROOT, dirname(document)), decodeURIComponent(path));
  const inRepository = relative(ROOT, file);
  if (inRepository.startsWith("..") || resolve(ROOT, inRepository) !== file) {
    problems.push(`${document}: link ${target} leaves the repository${target.includes("shared/") ? " (../shared is not published with it)" : ""}`);
  } else if (!existsSync(file)) {
    problems.push(`${document}: link ${target}: ${inRepository} does not exist`);
  } else if (anchor !== undefined && !headingAnchors(readFileSync(file, "utf8")).has(anchor)) {
    problems.push(`${document}: link ${target}: ${inRepository} has no heading #${anchor}`);
  }
}

/** The anchors GitHub gives a Markdown file's headings. */
function headingAnchors(markdown) {
  const anchors = new Set();
  const seen = new Map();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!heading) continue;
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "");
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, "").replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function ignoredByGit(path) {
  return spawnSync("git", ["check-ignore", "--quiet", "--no-index", path], { cwd: ROOT }).status === 0;
}

/**
 * The error codes of `enum ErrorCode` with the HTTP statuses their doc
 * comments name ("(401)"; the OpenAPI document carries the same comments),
 * and the refusal reasons of `enum Reason`, against the tables of the API
 * document: rows `| 403 | \`UNAUTHORIZED\` | ...` and `| \`missing_capability\` | ...`.
 */
function checkErrorTable(document, source) {
  const rust = read(source);
  const codes = enumVariants(rust, "ErrorCode").map(({ name, doc }) => ({ code: screamingSnake(name), statuses: [...doc.matchAll(/\((\d{3})\)/g)].map((match) => match[1]) }));
  const reasons = enumVariants(rust, "Reason").map(({ name }) => snake(name));
  if (codes.length === 0 || reasons.length === 0) {
    problems.push(`${source}: found no ErrorCode or Reason variants to check ${document} against`);
    return;
  }
  const text = read(document);
  const documented = new Set(tableRows(text, /^\|\s*HTTP\s*\|\s*`status`\s*\|/).map((row) => row.match(/^\|\s*(\d{3})\s*\|\s*`([A-Z_]+)`\s*\|/)).filter(Boolean).map((match) => `${match[1]} ${match[2]}`));
  const expected = new Set(codes.flatMap(({ code, statuses }) => statuses.map((status) => `${status} ${code}`)));
  for (const { code, statuses } of codes) {
    if (statuses.length === 0) problems.push(`${source}: ErrorCode ${code} names no HTTP status in its doc comment`);
  }
  for (const pair of expected) if (!documented.has(pair)) problems.push(`${document}: no row for ${pair} (from ${source})`);
  for (const pair of documented) if (!expected.has(pair)) problems.push(`${document}: row ${pair} is not an error of ${source}`);
  const reasonRows = new Set(tableRows(text, /^\|\s*`reason`\s*\|/).map((row) => row.match(/^\|\s*`([a-z_]+)`\s*\|/)?.[1]).filter(Boolean));
  for (const reason of reasons) if (!reasonRows.has(reason)) problems.push(`${document}: no row for the refusal reason ${reason} (from ${source})`);
  for (const reason of reasonRows) if (!reasons.includes(reason)) problems.push(`${document}: ${reason} is not a refusal reason of ${source}`);
}

/** The body rows of the first table whose header row matches `header`. */
function tableRows(markdown, header) {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => header.test(line));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && !line.startsWith("|"));
  return lines.slice(start + 2, end < 0 ? lines.length : end);
}

/** The variants of `pub enum NAME { ... }`, each with its doc comment. */
function enumVariants(rust, name) {
  const body = rust.match(new RegExp(`pub enum ${name} \\{([\\s\\S]*?)\\n\\}`))?.[1] ?? "";
  const variants = [];
  let doc = [];
  for (const line of body.split("\n").map((text) => text.trim())) {
    if (line.startsWith("///")) doc.push(line.slice(3));
    else if (/^[A-Z]\w*,?$/.test(line)) {
      variants.push({ name: line.replace(/,$/, ""), doc: doc.join(" ") });
      doc = [];
    }
  }
  return variants;
}

function snake(name) {
  return name.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase();
}

function screamingSnake(name) {
  return snake(name).toUpperCase();
}
