/* Tepat ground check: a photo chosen (or taken) on the phone stays on the phone; only its
 * metadata goes with the form, as with the API: file name, size, type, last-modified time and
 * the SHA-256 of its bytes (when the browser can compute it: HTTPS or localhost) are copied into
 * hidden fields, and the name into the visible photo-reference field (kept in the draft).
 * Without JavaScript the facilitator types a photo reference instead.
 */
(function () {
  "use strict";

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function set(form, name, value) {
    var el = form.elements[name];
    if (el) { el.value = value; }
  }

  function describe(file) {
    var kb = Math.max(1, Math.round(file.size / 1024));
    return file.name + " · " + kb + " KB · " + (file.type || "?");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-photo-input]").forEach(function (input) {
      var i = input.dataset.photoInput, form = input.form, p = "ph" + i + "_";
      var pick = form.querySelector('label[for="' + input.id + '"]');
      input.hidden = false;
      if (pick) { pick.hidden = false; }
      input.addEventListener("change", function () {
        var file = input.files && input.files[0], info = document.getElementById(p + "info");
        ["name", "sha256", "type", "size", "modified"].forEach(function (k) { set(form, p + k, ""); });
        if (!file) { return; }
        set(form, p + "name", file.name);
        set(form, p + "type", file.type || "");
        set(form, p + "size", String(file.size));
        set(form, p + "modified", String(file.lastModified || ""));
        set(form, p + "ref", file.name);
        if (info) { info.textContent = describe(file); }
        form.dispatchEvent(new Event("input", { bubbles: true }));
        if (window.crypto && window.crypto.subtle && file.arrayBuffer) {
          file.arrayBuffer().then(function (bytes) {
            return window.crypto.subtle.digest("SHA-256", bytes);
          }).then(function (digest) {
            set(form, p + "sha256", hex(digest));
            if (info) { info.textContent = describe(file) + " · sha256 " + hex(digest).slice(0, 12) + "…"; }
          }).catch(function () { /* the server keeps a hash of the metadata instead */ });
        }
      });
    });
  });
})();
