// Maps on vendored Leaflet 1.9.4 (+ markercluster 1.5.3). The contract (docs/operations.md "Maps" and
// MAP-CONTRACT.md): a page renders
//
//   <div class="xh-map" data-layers='[{"name": ..., "url": ..., "kind": "areas"|"points",
//        "cluster": false, "fit": true, "visible": true}, ...]' data-tile-url="" data-tile-attribution=""
//        data-tile-crs="wgs84"></div>
//
// (templates/_map.html: `map(layers, height)`), and every layer URL answers a same-origin GeoJSON
// FeatureCollection in WGS84 that the server has fully styled. This file only reads, per feature:
//   label  tooltip text (areas: also a permanent centred label once zoomed in)
//   href   clicking navigates there
//   color  fill (areas) or marker colour (points)
//   value  shown after the label in the tooltip
//   popup  plain text shown on click when there is no href
//   id     the value a selection map puts in its <select> (below)
// and, on the FeatureCollection itself, an optional `legend`: [[colour, text], ...] drawn in a corner.
// All text is put in as text, never as HTML.
//
// Optional attributes of the map div:
//   data-tile-crs="gcj02"     the tile server draws GCJ-02 (most Chinese tile servers): the WGS84 data
//                             are shifted onto it, and picked points shifted back to WGS84.
//   data-select="ID"          selection mode: clicking an area toggles an <option value="{id}" selected>
//                             in the <select multiple id="ID"> (options are added as needed); hrefs are
//                             not followed. Selected areas are drawn outlined in blue. Changing the select
//                             from elsewhere redraws. data-select-count="ID2": an element whose text
//                             becomes the number of selected areas.
//   data-pick-lon="ID", data-pick-lat="ID"
//                             pick mode: clicking anywhere writes the WGS84 longitude/latitude (6 decimals)
//                             into these inputs and moves a marker there; typing in them (or a "change"
//                             event, as the GPS button sends) moves the marker too. hrefs are not followed.
//   data-label-zoom="17"      from which zoom level area labels are shown permanently.
//   data-refresh="30"         every 30 s the layers shown are fetched again and redrawn (the view stays);
//                             not while the page is hidden (document.visibilityState), and at once when
//                             it is shown again after a refresh was missed.
// A layer with "visible": false is listed in the layer control but not fetched until it is switched on
// (nor refreshed while it is off): the component layer of the city map weighs hundreds of kilobytes.
// A map inside a closed <details> is drawn when the <details> opens.
(function () {
  "use strict";
  if (window.XiuhuaMap) { window.XiuhuaMap.initAll(document); return; }  // htmx re-ran this script

  const GREY = "#9e9e9e";
  const SELECTED = "#1565c0";

  // --- WGS84 → GCJ-02 (the published offset), and back by iteration ---------------------------------
  const A = 6378245.0, EE = 0.00669342162296594323;
  function outside(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function offset(lon, lat) {
    const x = lon - 105.0, y = lat - 35.0, PI = Math.PI;
    const shared = (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    let dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + shared;
    dlat += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    dlat += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    let dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + shared;
    dlon += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    dlon += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    const rad = lat / 180 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dlat = dlat * 180 / ((A * (1 - EE)) / (magic * sq) * PI);
    dlon = dlon * 180 / (A / sq * Math.cos(rad) * PI);
    return [dlon, dlat];
  }
  function toGcj(lon, lat) {
    if (outside(lon, lat)) return [lon, lat];
    const d = offset(lon, lat);
    return [lon + d[0], lat + d[1]];
  }
  function fromGcj(lon, lat) {
    if (outside(lon, lat)) return [lon, lat];
    let wlon = lon, wlat = lat;
    for (let i = 0; i < 30; i++) {
      const g = toGcj(wlon, wlat), dlon = g[0] - lon, dlat = g[1] - lat;
      if (Math.abs(dlon) < 1e-10 && Math.abs(dlat) < 1e-10) break;
      wlon -= dlon; wlat -= dlat;
    }
    return [wlon, wlat];
  }

  function textNode(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function tooltipText(props) {
    const label = props.label == null ? "" : String(props.label);
    return props.value == null || props.value === "" ? label : label + ": " + props.value;
  }

  function parseLayers(el) {
    try {
      const layers = JSON.parse(el.dataset.layers || "[]");
      return Array.isArray(layers) ? layers : [];
    } catch (e) {
      return [];
    }
  }

  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
  }

  function init(el) {
    if (el.xhMap || !window.L) return;
    const details = el.closest("details");
    if (details && !details.open) {  // Leaflet cannot measure a hidden map: draw it when shown
      if (!el.xhWaiting) {
        el.xhWaiting = true;
        details.addEventListener("toggle", () => { if (details.open) init(el); });
      }
      return;
    }
    const L = window.L;
    const gcj = Boolean(el.dataset.tileUrl) && el.dataset.tileCrs === "gcj02";  // without tiles nothing to match
    const toMap = (lon, lat) => { const p = gcj ? toGcj(lon, lat) : [lon, lat]; return L.latLng(p[1], p[0]); };
    const fromMap = (latlng) => (gcj ? fromGcj(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat]);
    const selectBox = el.dataset.select ? document.getElementById(el.dataset.select) : null;
    const counter = el.dataset.selectCount ? document.getElementById(el.dataset.selectCount) : null;
    const pickLon = el.dataset.pickLon ? document.getElementById(el.dataset.pickLon) : null;
    const pickLat = el.dataset.pickLat ? document.getElementById(el.dataset.pickLat) : null;
    const picking = Boolean(pickLon && pickLat);
    const labelZoom = parseInt(el.dataset.labelZoom || "17", 10);

    const map = L.map(el, {maxZoom: 19, minZoom: 3, zoomSnap: 0.5, attributionControl: Boolean(el.dataset.tileUrl), zoomControl: false});
    // Control titles in the page's language (templates/_map.html passes them; Leaflet's own are English).
    L.control.zoom({zoomInTitle: el.dataset.zoomIn || "Zoom in", zoomOutTitle: el.dataset.zoomOut || "Zoom out"}).addTo(map);
    el.xhMap = map;
    el.classList.toggle("xh-plain", !el.dataset.tileUrl);
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, {maxZoom: 19, attribution: el.dataset.tileAttribution || ""}).addTo(map);
    }
    map.setView([35, 105], 4);  // China, until the layers arrive

    const entries = [];  // one per layer: its spec, its Leaflet layers, its area polygons, its legend
    const areaLayers = () => entries.flatMap((entry) => entry.areas);  // for labels and selection
    const overlays = {};
    const specs = parseLayers(el).filter((spec) => spec && spec.url && sameOrigin(spec.url));
    let fitted = L.latLngBounds([]);
    const refresh = parseInt(el.dataset.refresh || "0", 10);

    function selectedIds() {
      return new Set(selectBox ? Array.from(selectBox.selectedOptions).map((o) => o.value) : []);
    }

    function styleArea(layer, chosen) {
      const colour = layer.feature.properties.color || GREY;
      layer.setStyle(chosen
        ? {color: SELECTED, weight: 3, fillColor: colour, fillOpacity: 0.55}
        : {color: "#37474f", weight: 1, fillColor: colour, fillOpacity: 0.35});
    }

    function restyleSelection() {
      const chosen = selectedIds();
      areaLayers().forEach((layer) => {
        const id = layer.feature.properties.id;
        styleArea(layer, id != null && chosen.has(String(id)));
      });
      if (counter) counter.textContent = String(chosen.size);
    }

    function toggle(props) {
      if (!selectBox || props.id == null) return;
      const value = String(props.id);
      const option = Array.from(selectBox.options).find((o) => o.value === value);
      if (option && option.selected) {
        option.remove();
      } else if (option) {
        option.selected = true;
      } else {
        selectBox.add(new Option(props.label || value, value, true, true));
      }
      selectBox.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function labels() {
      const zoomedIn = map.getZoom() >= labelZoom;
      areaLayers().forEach((layer) => {
        const props = layer.feature.properties;
        if (zoomedIn === layer.xhPermanent) return;
        layer.xhPermanent = zoomedIn;
        layer.unbindTooltip();
        layer.bindTooltip(textNode(zoomedIn ? String(props.label || "") : tooltipText(props)), {
          permanent: zoomedIn, direction: "center", className: zoomedIn ? "xh-label" : "",
        });
      });
    }

    function onFeature(feature, layer, kind, entry) {
      const props = feature.properties || {};
      if (kind === "areas") {
        layer.xhPermanent = false;
        layer.bindTooltip(textNode(tooltipText(props)), {direction: "center"});
        entry.areas.push(layer);
      } else {
        layer.bindTooltip(textNode(tooltipText(props)));
      }
      if (selectBox && kind === "areas") {
        layer.on("click", () => toggle(props));
      } else if (picking) {
        // the map's own click handler does the picking
      } else if (props.href && sameOrigin(props.href)) {
        layer.on("click", () => { window.location.href = props.href; });
      } else if (props.popup) {
        layer.bindPopup(textNode(String(props.popup)));
      }
    }

    // Every layer exists (empty) from the start, so that the control lists it; its data come by fill().
    function makeEntry(spec) {
      const kind = spec.kind === "points" ? "points" : "areas";
      const entry = {spec, kind, areas: [], loaded: false, loading: null, fetchedAt: 0, legend: null};
      entry.geo = L.geoJSON(null, {
        coordsToLatLng: (c) => toMap(c[0], c[1]),
        style: (feature) => {
          const colour = (feature.properties && feature.properties.color) || GREY;
          return kind === "areas"
            ? {color: "#37474f", weight: 1, fillColor: colour, fillOpacity: 0.35, className: "xh-area"}
            : {color: "#ffffff", weight: 2, fillColor: colour, fillOpacity: 0.95, className: "xh-point"};
        },
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          radius: 8, color: "#ffffff", weight: 2, fillColor: (feature.properties && feature.properties.color) || GREY,
          fillOpacity: 0.95, className: "xh-point",
        }),
        onEachFeature: (feature, layer) => onFeature(feature, layer, kind, entry),
      });
      entry.layer = entry.geo;
      if (spec.cluster && L.markerClusterGroup) {
        entry.layer = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 40, iconCreateFunction: clusterIcon});
      }
      entry.layer.xhEntry = entry;
      overlays[spec.name || String(Object.keys(overlays).length + 1)] = entry.layer;
      return entry;
    }

    function fetchData(entry) {
      entry.loading = fetch(entry.spec.url, {credentials: "same-origin", headers: {Accept: "application/geo+json, application/json"}})
        .then((response) => (response.ok ? response.json() : null))
        .catch(() => null)
        .then((data) => {
          entry.loading = null;
          entry.fetchedAt = Date.now();
          return data && (data.type === "FeatureCollection" || data.type === "Feature") ? data : null;
        });
      return entry.loading;
    }

    // (Re)draw a layer's data in place: the same Leaflet layer, so the control and the view stay.
    function fill(entry, data) {
      entry.loaded = true;
      entry.areas = [];
      entry.geo.clearLayers();
      entry.geo.addData(data);
      if (entry.layer !== entry.geo) {
        entry.layer.clearLayers();
        entry.layer.addLayer(entry.geo);
      }
      if (entry.legend) { entry.legend.remove(); entry.legend = null; }
      if (Array.isArray(data.legend) && data.legend.length) entry.legend = legend(data.legend, entry.spec.name);
    }

    function load(entry) {
      return (entry.loading || fetchData(entry)).then((data) => {
        if (data && el.xhMap) {
          fill(entry, data);
          labels();
          restyleSelection();
        }
      });
    }

    // A cluster takes the most urgent colour among its pins (red before yellow before green before grey).
    const URGENCY = ["#c62828", "#f9a825", "#2e7d32"];
    function clusterIcon(cluster) {
      const colours = cluster.getAllChildMarkers().map((m) => (m.options.fillColor || "").toLowerCase());
      const colour = URGENCY.find((c) => colours.includes(c)) || colours[0] || GREY;
      const count = cluster.getChildCount();
      const size = count < 10 ? 28 : count < 100 ? 34 : 40;
      const html = document.createElement("span");
      html.textContent = String(count);
      html.style.background = colour;
      return L.divIcon({html, className: "xh-cluster", iconSize: L.point(size, size)});
    }

    function legend(rows, title) {
      const control = L.control({position: "bottomright"});
      control.onAdd = () => {
        const box = L.DomUtil.create("div", "xh-legend");
        if (title) box.appendChild(textNode(String(title))).className = "xh-legend-title";
        rows.forEach((row) => {
          const line = L.DomUtil.create("div", "", box);
          const swatch = L.DomUtil.create("i", "", line);
          swatch.style.background = String(row[0]);
          line.appendChild(textNode(String(row[1])));
        });
        return box;
      };
      control.addTo(map);
      return control;
    }

    function finish() {
      if (fitted.isValid()) {
        const single = fitted.getNorthEast().equals(fitted.getSouthWest());
        if (single) map.setView(fitted.getCenter(), 17, {animate: false});
        else map.fitBounds(fitted, {padding: [16, 16], maxZoom: 18, animate: false});
      }
      entries.forEach((entry) => { if (entry.spec.visible !== false) entry.layer.addTo(map); });
      if (Object.keys(overlays).length > 1) {
        const control = L.control.layers(null, overlays, {collapsed: false}).addTo(map);
        const toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
        if (toggle && el.dataset.layersTitle) toggle.title = el.dataset.layersTitle;
      }
      map.on("zoomend", labels);
      labels();
      restyleSelection();
      el.dataset.ready = "true";  // tests and pages wait for this
      el.dispatchEvent(new CustomEvent("xh-map-ready", {bubbles: true}));
    }

    specs.forEach((spec) => entries.push(makeEntry(spec)));
    const shown = entries.filter((entry) => entry.spec.visible !== false);
    Promise.all(shown.map((entry) => fetchData(entry).then((data) => ({entry, data})))).then((results) => {
      if (!el.xhMap) return;  // torn down meanwhile
      results.forEach(({entry, data}) => {
        if (!data) return;
        fill(entry, data);
        if (entry.spec.fit !== false && entry.geo.getLayers().length) fitted.extend(entry.geo.getBounds());
      });
      finish();
    });

    // A layer switched on is fetched then (the first time, or when its data are older than a refresh).
    map.on("overlayadd", (event) => {
      const entry = event.layer && event.layer.xhEntry;
      if (!entry || entry.loading) return;
      if (!entry.loaded || (refresh > 0 && Date.now() - entry.fetchedAt >= refresh * 1000)) load(entry);
    });

    if (refresh > 0) {
      let missed = false;
      const again = () => {
        entries.forEach((entry) => { if (entry.loaded && map.hasLayer(entry.layer) && !entry.loading) load(entry); });
      };
      const tick = () => {
        if (!el.isConnected) { el.xhStop(); return; }
        if (document.visibilityState === "hidden") { missed = true; return; }
        again();
      };
      const shownAgain = () => {
        if (document.visibilityState !== "hidden" && missed) { missed = false; again(); }
      };
      const timer = setInterval(tick, refresh * 1000);
      document.addEventListener("visibilitychange", shownAgain);
      el.xhStop = () => { clearInterval(timer); document.removeEventListener("visibilitychange", shownAgain); };
    }

    if (selectBox) selectBox.addEventListener("change", restyleSelection);

    if (picking) {
      let marker = null;
      const place = (lon, lat) => {
        const latlng = toMap(lon, lat);
        if (marker) marker.setLatLng(latlng);
        else marker = L.circleMarker(latlng, {radius: 9, color: "#ffffff", weight: 2, fillColor: SELECTED, fillOpacity: 1, className: "xh-picked"}).addTo(map);
      };
      const typed = () => {
        const lon = parseFloat(pickLon.value), lat = parseFloat(pickLat.value);
        if (isFinite(lon) && isFinite(lat) && Math.abs(lon) <= 180 && Math.abs(lat) <= 90) place(lon, lat);
      };
      map.on("click", (event) => {
        const p = fromMap(event.latlng);
        pickLon.value = p[0].toFixed(6);
        pickLat.value = p[1].toFixed(6);
        place(p[0], p[1]);
        pickLon.dispatchEvent(new Event("input", {bubbles: true}));
      });
      [pickLon, pickLat].forEach((input) => input.addEventListener("change", typed));
      typed();
    }
  }

  function initAll(root) {
    root = root || document;
    if (root.matches && root.matches(".xh-map")) init(root);
    if (root.querySelectorAll) root.querySelectorAll(".xh-map").forEach(init);
  }

  // htmx keeps a copy of the page for the back button: leave Leaflet's drawing out of it, draw anew.
  function teardown(root) {
    (root || document).querySelectorAll(".xh-map").forEach((el) => {
      if (el.xhStop) { el.xhStop(); el.xhStop = null; }
      if (el.xhMap) { el.xhMap.remove(); el.xhMap = null; }
      el.removeAttribute("data-ready");
    });
  }

  window.XiuhuaMap = {initAll, teardown, toGcj, fromGcj};
  document.addEventListener("htmx:load", (event) => initAll(event.detail.elt));
  document.addEventListener("htmx:beforeHistorySave", () => teardown(document));
  document.addEventListener("htmx:historyRestore", () => initAll(document));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => initAll(document));
  else initAll(document);
})();
