// Small behaviours htmx does not cover. No inline scripts: the CSP allows only files from 'self'.
document.addEventListener("htmx:responseError", (event) => {
  // A refused permission toggle must not stay ticked on screen.
  const form = event.detail.elt.closest && event.detail.elt.closest("form.grant");
  if (form) {
    const box = form.querySelector("input[type=checkbox]");
    box.checked = !box.checked;
  }
});

document.addEventListener("htmx:sendError", () => {
  const area = document.getElementById("messages");
  if (area) {
    area.innerHTML = "";
    const p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = document.body.dataset.offlineMessage || "Network error";
    area.appendChild(p);
  }
});

// On wide screens the navigation is always shown; browsers without ::details-content need the
// <details> opened for that.
const wide = window.matchMedia("(min-width: 900px)");
function openNavOnWideScreens() {
  const nav = document.querySelector("details.nav-toggle");
  if (nav && wide.matches) nav.open = true;
}
document.addEventListener("DOMContentLoaded", openNavOnWideScreens);
document.addEventListener("htmx:afterSettle", openNavOnWideScreens);

// A list's filters fold away on a phone, so that its cards come first: closed when the page loads there,
// open again whenever the screen is wider (where the summary line that opens it is not shown).
const phone = window.matchMedia("(max-width: 600px)");
function foldListTools(root) {
  root.querySelectorAll("details.list-tools").forEach((tools) => { tools.open = !phone.matches; });
}
document.addEventListener("DOMContentLoaded", () => foldListTools(document));
// a page htmx brought in (a boosted link) but not the rows a filter swaps in, while it is being used
document.addEventListener("htmx:load", (event) => foldListTools(event.detail.elt));
phone.addEventListener("change", () => foldListTools(document));

// A category picker posts the chosen category's id (a component and an event may share a code): the id
// of the datalist option the text is, or nothing, so that the server reads the text.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!box.dataset || !box.dataset.idInput || !box.list) return;
  const hidden = document.getElementById(box.dataset.idInput);
  const option = Array.from(box.list.options).find((o) => o.value === box.value);
  if (hidden) hidden.value = option ? option.dataset.id : "";
});

// Dashboard widgets poll themselves (hx-trigger "every 30s"): not while the page is hidden (a tab in the
// background, a locked phone); once shown again, the widgets that missed a refresh fetch at once.
const POLLED = ".dash[hx-trigger], #wall-campaigns";
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (document.visibilityState === "hidden" && elt.matches && elt.matches(POLLED)) {
    elt.dataset.missed = "true";
    event.preventDefault();
  }
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden" || !window.htmx) return;
  document.querySelectorAll(POLLED).forEach((elt) => {
    if (elt.dataset.missed) {
      delete elt.dataset.missed;
      window.htmx.ajax("GET", elt.getAttribute("hx-get"), {source: elt, target: elt, swap: "outerHTML"});
    }
  });
});
