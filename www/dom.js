// The helpers every view module (view.js, tokens-view.js, limits-view.js,
// choices-view.js, events-view.js, chart.js, field-errors.js) builds and
// reads the page with. Only those modules import it.

/**
 * The element with id `id`.
 * @param {string} id
 * @returns {HTMLElement}
 */
export const $ = (id) => document.getElementById(id);

/**
 * A new element, with a class and text.
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
export function element(tag, className = "", text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A number field's value as typed: "" when empty, "?" when it holds text
 * that is not a number (the field's value is "" for both; the rules must
 * tell them apart).
 * @param {HTMLInputElement} input
 * @returns {string}
 */
export function typedNumber(input) {
  return input.validity.badInput ? "?" : input.value;
}
