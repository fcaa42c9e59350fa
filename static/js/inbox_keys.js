// Keyboard work on the case list (templates/workorders/inbox.html): j / k move a highlight between rows,
// Enter opens the highlighted case, x ticks its dispatch checkbox, / goes to the search, ? shows the
// help line. Never while typing in a field. The rows are found anew on each key, so the keys keep working
// after htmx swaps the rows (filters, pages); a swap starts again from no highlight.
(() => {
  if (window.xiuhuaInboxKeys) return; // loaded again by a boosted visit to the page: one listener is enough
  window.xiuhuaInboxKeys = true;

  const rows = () => {
    const table = document.querySelector("table[data-keys=inbox]");
    return table ? Array.from(table.tBodies[0].rows).filter((row) => row.querySelector("a[href]")) : [];
  };
  const typing = (el) =>
    el && (el.isContentEditable || ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(el.tagName));

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const now = all.findIndex((row) => row.classList.contains("key-current"));
    const next = now < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(now + step, 0), all.length - 1);
    all.forEach((row) => {
      row.classList.remove("key-current");
      row.removeAttribute("aria-current");
    });
    all[next].classList.add("key-current");
    all[next].setAttribute("aria-current", "true");
    all[next].scrollIntoView({ block: "nearest" });
  }

  function toggleHelp() {
    const help = document.getElementById("inbox-keys-help");
    if (!help) return;
    help.hidden = !help.hidden;
    const button = document.getElementById("inbox-keys-toggle");
    if (button) button.setAttribute("aria-expanded", String(!help.hidden));
  }
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("#inbox-keys-toggle")) toggleHelp();
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (!document.querySelector("table[data-keys=inbox]")) return;
    const current = rows().find((row) => row.classList.contains("key-current"));
    if (event.key === "j" || event.key === "k") {
      move(event.key === "j" ? 1 : -1);
    } else if (event.key === "Enter" && current && !event.target.closest("a[href]")) {
      current.querySelector("a[href]").click();
    } else if (event.key === "x" && current) {
      const box = current.querySelector("input[type=checkbox]");
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (event.key === "/") {
      const search = document.getElementById("order-search");
      if (!search) return;
      search.focus();
      search.select();
    } else if (event.key === "?") {
      toggleHelp();
    } else {
      return;
    }
    event.preventDefault();
  });
})();
