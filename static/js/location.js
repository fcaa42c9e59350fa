// Where the phone is (issue 11, phone layouts), for three pages:
// - forms with a .location-picker (templates/_location_picker.html): "Use my location" fills the
//   longitude and latitude inputs it names (data-lon, data-lat), and whenever they change (typed, from
//   GPS or a tap on the map) the unit grid found there is shown before saving (GET data-locate-url,
//   the grids' locate page, answering the #location-grid fragment);
// - the home page's #nearby: the open cases near the position (GET data-near-url?lat=&lon=);
// - the case list (#order-filters): on a phone, cards nearest first (sort=near, near=lat,lon) unless a
//   sort was chosen; anywhere, when "Nearest first" is chosen from the sort menu.
// Loaded again by boosted navigation: the listeners are set once, the page's elements found each time.
(function () {
  if (window.xhLocation) {
    window.xhLocation.init(document);
    return;
  }
  const PHONE = window.matchMedia("(max-width: 600px)");
  const OPTIONS = {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000};

  function position(done, failed) {
    if (!navigator.geolocation) { failed(); return; }
    navigator.geolocation.getCurrentPosition((p) => done(p.coords.latitude, p.coords.longitude), failed, OPTIONS);
  }

  function inputs(picker) {
    const form = picker.closest("form") || document;
    const lon = document.getElementById(picker.dataset.lon) || form.querySelector("[name=longitude]");
    const lat = document.getElementById(picker.dataset.lat) || form.querySelector("[name=latitude]");
    return {lon, lat};
  }

  function number(input, bound) {
    const text = (input && input.value || "").trim();
    if (!/^[-+]?\d+(\.\d+)?$/.test(text)) return null;
    const value = parseFloat(text);
    return Math.abs(value) <= bound ? value : null;
  }

  const timers = new WeakMap();
  function locate(picker) {
    const url = picker.dataset.locateUrl;
    if (!url || !window.htmx) return;
    clearTimeout(timers.get(picker));
    timers.set(picker, setTimeout(() => {
      const {lon, lat} = inputs(picker);
      const x = number(lon, 180), y = number(lat, 90);
      const box = document.getElementById("location-grid");
      if (!box) return;
      if (x === null || y === null) {
        box.className = "location-grid muted";
        box.textContent = picker.dataset.hint || "";
        return;
      }
      const query = new URLSearchParams({lon: x.toFixed(6), lat: y.toFixed(6)});
      htmx.ajax("GET", url + "?" + query, {target: "#location-grid", swap: "outerHTML"});
    }, 250));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".location-picker .use-gps");
    if (!button) return;
    const {lon, lat} = inputs(button.closest(".location-picker"));
    position((y, x) => {
      lat.value = y.toFixed(6);
      lon.value = x.toFixed(6);
      lon.dispatchEvent(new Event("change", {bubbles: true}));  // moves a map's pin, finds the grid
    }, () => alert(button.dataset.failed));
  });

  function changed(event) {
    document.querySelectorAll(".location-picker").forEach((picker) => {
      const {lon, lat} = inputs(picker);
      if (event.target === lon || event.target === lat) locate(picker);
    });
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);

  // "Nearest first" chosen from the sort menu: ask for the position, then the list reloads with it.
  document.addEventListener("change", (event) => {
    const sort = event.target;
    const form = sort.closest && sort.closest("#order-filters");
    if (!form || sort.name !== "sort" || sort.value !== "near") return;
    const near = form.querySelector("[name=near]");
    if (!near || near.value) return;
    position((y, x) => {
      near.value = y.toFixed(6) + "," + x.toFixed(6);
      sort.dispatchEvent(new Event("change", {bubbles: true}));
    }, () => {});
  });

  function nearby(box) {
    if (box.dataset.asked) return;
    box.dataset.asked = "true";
    position((y, x) => {
      const query = new URLSearchParams({lat: y.toFixed(6), lon: x.toFixed(6)});
      htmx.ajax("GET", box.dataset.nearUrl + "?" + query, {target: "#nearby", swap: "outerHTML"});
    }, () => {
      box.innerHTML = "";
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = box.dataset.failed;
      box.appendChild(p);
    });
  }

  function nearestCards(form) {
    const sort = form.querySelector("[name=sort]");
    const near = form.querySelector("[name=near]");
    if (!sort || !near || form.dataset.asked || !PHONE.matches) return;
    if (new URLSearchParams(window.location.search).has("sort")) return;  // the user chose an order
    form.dataset.asked = "true";
    position((y, x) => {
      near.value = y.toFixed(6) + "," + x.toFixed(6);
      sort.value = "near";
      sort.dispatchEvent(new Event("change", {bubbles: true}));  // the filter form reloads the list
    }, () => {});
  }

  function init(root) {
    root.querySelectorAll(".location-picker").forEach((picker) => {
      const box = document.getElementById("location-grid");
      if (box && !picker.dataset.hint) picker.dataset.hint = box.textContent.trim();
      locate(picker);  // a form sent back with its location shows its grid again
    });
    const box = root.querySelector("#nearby[data-near-url]");
    if (box) nearby(box);
    const filters = root.querySelector("#order-filters");
    if (filters) nearestCards(filters);
  }

  window.xhLocation = {init};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => init(document));
  else init(document);
})();
