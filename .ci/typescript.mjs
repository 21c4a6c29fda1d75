// The client's TypeScript declarations of the wire types, generated from the
// OpenAPI document (itself derived from the Rust types): each schema of
// `components.schemas` becomes a named type, with JavaScript's camelCase
// property names, the names the client hands out (src/client/wire.js).
import { compile } from "json-schema-to-typescript";

/** snake_case → camelCase, as src/client/wire.js renames at run time. */
export const camel = (name) => name.replace(/_([a-z0-9])/g, (_, letter) => letter.toUpperCase());
const snake = (name) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/**
 * The declarations of every schema of `document`.
 * @param {any} document the OpenAPI document
 * @returns {Promise<string>}
 */
export async function wireDeclarations(document) {
  const schemas = structuredClone(document.components.schemas);
  for (const [name, schema] of Object.entries(schemas)) {
    schemas[name] = readable(camelize(schema, name));
    schemas[name].title = name;
  }
  const root = {
    title: "WireTypes",
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(Object.keys(schemas).map((name) => [name, { $ref: `#/$defs/${name}` }])),
    $defs: schemas,
  };
  const text = await compile(JSON.parse(JSON.stringify(root).replaceAll("#/components/schemas/", "#/$defs/")), "WireTypes", {
    bannerComment: "/* The API's wire types, generated from its OpenAPI document, with camelCase names. */",
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: true,
    unreachableDefinitions: true,
    format: true,
  });
  // The wrapper that made json-schema-to-typescript emit every definition.
  return text.replace(/export interface WireTypes \{[^}]*\}\n/, "");
}

// Renames the keys of `properties` and the entries of `required`, in every
// subschema. A name that would not come back to itself through the run-time
// renaming is an error: the client could not send or read it.
function camelize(schema, where) {
  if (Array.isArray(schema)) return schema.map((item) => camelize(item, where));
  if (schema === null || typeof schema !== "object") return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => {
          if (snake(camel(name)) !== name) throw new Error(`${where}.${name} does not survive the camelCase renaming`);
          return [camel(name), camelize(sub, `${where}.${name}`)];
        }),
      );
    } else if (key === "required") {
      out.required = value.map(camel);
    } else if (key === "const" || key === "enum" || key === "examples" || key === "default") {
      out[key] = value;
    } else {
      out[key] = camelize(value, where);
    }
  }
  return out;
}

// What carries no type: `allOf` rules that only count items (they print as
// `unknown & unknown`), and siblings of a `$ref` (they make a copy of the
// referenced type).
function readable(schema) {
  if (Array.isArray(schema)) return schema.map(readable);
  if (schema === null || typeof schema !== "object") return schema;
  if (typeof schema.$ref === "string") return { $ref: schema.$ref };
  const out = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, readable(value)]));
  if (Array.isArray(out.allOf)) {
    const typed = out.allOf.filter((rule) => !Object.keys(rule).every((key) => ["contains", "minContains", "maxContains"].includes(key)));
    if (typed.length > 0) out.allOf = typed;
    else delete out.allOf;
  }
  return out;
}
