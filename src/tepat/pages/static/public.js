/* Public pages: a chosen photo is fingerprinted on the phone (SHA-256) and only its name,
 * fingerprint and time are sent; the photo stays on the device. Without this script (or without
 * Web Crypto) the photo itself is sent and the server keeps only the same three facts.
 */
(function () {
  "use strict";
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  function utcIso(ms) {
    return new Date(ms).toISOString().slice(0, 19) + "Z";
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.crypto || !window.crypto.subtle || !window.FileReader) { return; }
    document.querySelectorAll("input[type=file][data-photo]").forEach(function (input) {
      var names = input.dataset.photo.split(","), form = input.form;
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file || !form) { return; }
        file.arrayBuffer().then(function (data) {
          return window.crypto.subtle.digest("SHA-256", data);
        }).then(function (digest) {
          var now = Date.now(), taken = file.lastModified && file.lastModified <= now ? file.lastModified : now;
          form.elements[names[0]].value = file.name.slice(0, 120);
          form.elements[names[1]].value = hex(digest);
          form.elements[names[2]].value = utcIso(taken);
          input.removeAttribute("name");  // the photo itself stays on the phone
          input.setAttribute("data-hashed", "1");
          form.dispatchEvent(new Event("input", { bubbles: true }));
        });
      });
    });
  });
})();
