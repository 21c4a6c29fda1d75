// A form field's error, shown where the field is (with view.js and
// choices-view.js, the only module that marks fields): the message right
// after the field, the field marked invalid (`aria-invalid`) and described
// by the message (`aria-describedby`), and the keyboard focus on it, so that
// a person sees and a screen reader says what to fix, and where.

import { element } from "./dom.js";

/** The class of a field's error message, and of nothing else. */
const ERROR = "field-error";

/**
 * Shows `message` beside `field`, marks it invalid and focuses it.
 * @param {HTMLElement} field an input, select or textarea; or a group of them
 *   (then it is described, not marked: a group has no invalid state)
 * @param {string} message
 * @param {HTMLElement} [after] where the message goes; default: right after the field
 */
export function showFieldError(field, message, after = field) {
  const id = `${field.id}-error`;
  let note = document.getElementById(id);
  if (!note) {
    note = Object.assign(element("p", ERROR), { id });
    after.after(note);
  }
  note.textContent = message;
  // Moving the focus to the field reads the message with it; a field that
  // has the focus already (Enter was pressed in it) must announce it.
  if (document.activeElement === field) note.setAttribute("role", "alert");
  else note.removeAttribute("role");
  if (isControl(field)) field.setAttribute("aria-invalid", "true");
  const described = (field.getAttribute("aria-describedby") ?? "").split(" ").filter((part) => part && part !== id);
  field.dataset.describedBefore = described.join(" ");
  field.setAttribute("aria-describedby", [id, ...described].join(" "));
  // Typing a correction clears the mark; the message stays until the next try.
  field.addEventListener("input", () => field.removeAttribute("aria-invalid"), { once: true });
  field.focus();
}

function isControl(field) {
  return ["INPUT", "SELECT", "TEXTAREA"].includes(field.tagName);
}

/**
 * Removes every field error within `scope`: the messages, the marks, and
 * the descriptions they added.
 * @param {ParentNode} scope a form
 */
export function clearFieldErrors(scope) {
  for (const note of scope.querySelectorAll(`.${ERROR}`)) note.remove();
  for (const field of scope.querySelectorAll("[data-described-before]")) {
    field.removeAttribute("aria-invalid");
    const before = field.dataset.describedBefore;
    if (before) field.setAttribute("aria-describedby", before);
    else field.removeAttribute("aria-describedby");
    delete field.dataset.describedBefore;
  }
}
