// The package's values and types: the client, its options and errors, and
// the API's wire types (generated from its OpenAPI document). Nothing here
// needs more than TypeScript's lib es2022: no DOM, no WebAssembly types.

__DECLARATIONS__
