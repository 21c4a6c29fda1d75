import { isWellFormedSecret } from "./vendor/edge-tokens/index.js";
document.getElementById("status").textContent = `client loaded: ${isWellFormedSecret("etk_")}`;
