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
