// The notice's Print button (the CSP forbids inline handlers). Delegated, and bound once even when
// htmx loads this script again on a boosted navigation.
if (!window.zombieCarsPrint) {
  window.zombieCarsPrint = true;
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });
}
