/* Tepat pages: small conveniences on top of pages that work without JavaScript.
 *  - forms with data-draft="<key>" keep what was typed in localStorage (survives a lost
 *    connection and a reload); a page with data-draft-clear="<key>" forgets that draft;
 *  - a form sent while offline is held back with a message instead of losing the page;
 *  - buttons with data-gps="<lat field>,<lon field>[,<accuracy field>]" fill in the location;
 *  - htmx requests carry the page's CSRF token.
 */
(function () {
  "use strict";
  var PREFIX = "tepat-draft:";

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "password" && el.type !== "file" && el.type !== "hidden" &&
        el.type !== "submit" && el.type !== "button";
    });
  }

  function save(form) {
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { (data[el.name] = data[el.name] || []).push(el.value); }
      } else {
        data[el.name] = el.value;
      }
    });
    try { localStorage.setItem(PREFIX + form.dataset.draft, JSON.stringify(data)); } catch (e) { /* full or private */ }
  }

  function restore(form) {
    var raw = null;
    try { raw = localStorage.getItem(PREFIX + form.dataset.draft); } catch (e) { return; }
    if (!raw) { return; }
    var data = JSON.parse(raw), restored = false;
    fields(form).forEach(function (el) {
      if (!(el.name in data)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        var on = (data[el.name] || []).indexOf(el.value) >= 0;
        if (on !== el.checked) { el.checked = on; restored = true; }
      } else if (!el.value && data[el.name]) {
        el.value = data[el.name]; restored = true;
      }
    });
    if (restored) { notice(form, form.dataset.draftRestored || "", "info"); }
  }

  function notice(form, text, kind) {
    if (!text) { return; }
    var box = form.querySelector(".js-notice");
    if (!box) {
      box = document.createElement("p");
      box.setAttribute("role", "status");
      form.insertBefore(box, form.firstChild);
    }
    box.className = "js-notice " + kind;
    box.textContent = text;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-draft-clear]").forEach(function (el) {
      try { localStorage.removeItem(PREFIX + el.dataset.draftClear); } catch (e) { /* ignore */ }
    });
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      restore(form);
      form.addEventListener("input", function () { save(form); });
      form.addEventListener("change", function () { save(form); });
      form.addEventListener("submit", function (ev) {
        save(form);
        if (navigator.onLine === false) {
          ev.preventDefault();
          notice(form, form.dataset.offline || "", "alert");
        }
      });
    });
    document.querySelectorAll("[data-gps]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var names = button.dataset.gps.split(","), form = button.form;
        if (!navigator.geolocation || !form) { return; }
        button.disabled = true;
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.elements[names[0]].value = pos.coords.latitude.toFixed(6);
          form.elements[names[1]].value = pos.coords.longitude.toFixed(6);
          if (names[2] && form.elements[names[2]]) {
            form.elements[names[2]].value = Math.round(pos.coords.accuracy);
          }
          form.dispatchEvent(new Event("input", { bubbles: true }));
          button.disabled = false;
        }, function () { button.disabled = false; }, { enableHighAccuracy: true, timeout: 15000 });
      });
    });
  });

  document.addEventListener("htmx:configRequest", function (ev) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) { ev.detail.headers["X-CSRF-Token"] = meta.content; }
  });
})();
