/* TCO Console glue: toasts, the shared modal, select-all. Kept tiny on purpose.
   No inline handlers anywhere (Content-Security-Policy: script-src 'self', no eval): pages
   mark elements with data-* attributes and the delegated listeners here act on them. */
(function () {
  "use strict";
  var strings = {};
  function t(key) { return strings[key] || key; }
  function toast(level, text) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var colour = level === "error" ? "danger" : level === "warning" ? "warning" : level === "success" ? "success" : "primary";
    var el = document.createElement("div");
    el.className = "toast align-items-center border-0 text-bg-" + colour;
    el.setAttribute("role", level === "error" ? "alert" : "status");
    el.innerHTML = '<div class="d-flex"><div class="toast-body"></div><button type="button" class="btn-close btn-close-white me-2 m-auto" data-bs-dismiss="toast" ></button></div>';
    el.querySelector(".toast-body").textContent = text;
    el.querySelector(".btn-close").setAttribute("aria-label", t("close"));
    box.appendChild(el);
    var instance = bootstrap.Toast.getOrCreateInstance(el, { delay: level === "error" ? 8000 : 4000 });
    el.addEventListener("hidden.bs.toast", function () { el.remove(); });
    instance.show();
  }
  window.tcoToast = toast;
  function modal() { return bootstrap.Modal.getOrCreateInstance(document.getElementById("modal")); }

  document.addEventListener("DOMContentLoaded", function () {
    var s = document.getElementById("js-strings");
    if (s) strings = JSON.parse(s.textContent);
    var initial = document.getElementById("initial-messages");
    if (initial) JSON.parse(initial.textContent).forEach(function (m) { toast(m.level, m.text); });
  });
  document.body.addEventListener("toasts", function (e) {
    (e.detail.value || e.detail || []).forEach(function (m) { toast(m.level, m.text); });
  });
  document.body.addEventListener("closeModal", function () { modal().hide(); });
  // A form swapped into the modal gets the keyboard: its first field in error, else its first
  // field. When the modal opens, that waits for Bootstrap's "shown" (until then the dialog
  // takes the focus itself); when a form comes back with errors into the open modal, it waits
  // for htmx's settle, which is when the fields get their is-invalid class. Never later, and
  // never off a field the person has already moved to.
  function focusForm(content) {
    var active = document.activeElement;
    if (active && content.contains(active) && active.matches("input, select, textarea")) return;
    var usable = ":not([type=hidden]):not([disabled])";
    var field = content.querySelector(".is-invalid" + usable) ||
      content.querySelector("input" + usable + ", select" + usable + ", textarea" + usable);
    if (field) field.focus();
  }
  var opening = false;
  document.body.addEventListener("htmx:afterSwap", function (e) {
    var content = e.detail.target;
    var el = document.getElementById("modal");
    if (!content || content.id !== "modal-content" || el.classList.contains("show")) return;
    opening = true;
    el.addEventListener("shown.bs.modal", function () { opening = false; focusForm(content); }, { once: true });
    modal().show();
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    var content = e.detail.target;
    if (content && content.id === "modal-content" && !opening) focusForm(content);
  });
  document.body.addEventListener("htmx:responseError", function (e) {
    var status = e.detail.xhr.status;
    var text = status === 403 ? t("forbidden") : status === 404 ? t("notFound") : status === 503 ? t("unavailable") : t("failed") + " (" + status + ")";
    toast("error", text);
  });
  document.body.addEventListener("htmx:sendError", function () { toast("error", t("offline")); });
  // Select-all checkbox in a table header, and the bulk-action bar that counts the selection.
  document.body.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches("[data-select-all]")) {
      document.querySelectorAll('input[name="' + t.dataset.selectAll + '"]').forEach(function (c) { c.checked = t.checked; });
    }
    if (t.matches('input[name="uins"], [data-select-all]')) {
      var n = document.querySelectorAll('input[name="uins"]:checked').length;
      document.querySelectorAll("[data-needs-selection]").forEach(function (b) { b.disabled = n === 0; });
      document.querySelectorAll("[data-selection-count]").forEach(function (s) { s.textContent = n; });
    }
  });
  // Pay-on-behalf orders: the bulk buttons and the count follow the selected orders (this
  // runs after the select-all handler above, which was added first).
  document.body.addEventListener("change", function (e) {
    var region = e.target.closest && e.target.closest("[data-order-selection]");
    if (!region) return;
    var n = region.querySelectorAll("input[name=orders]:checked").length;
    region.querySelectorAll("[data-needs-orders]").forEach(function (b) { b.disabled = n === 0; });
    region.querySelectorAll("[data-order-count]").forEach(function (s) { s.textContent = n; });
  });
  // A select that submits its form when changed (the bill-month picker).
  document.body.addEventListener("change", function (e) {
    if (e.target.matches("select[data-submit-on-change]") && e.target.form) e.target.form.requestSubmit();
  });
  // Cost analysis (F6): editing the dates or the granularity makes the range a custom one.
  // Capture phase, so the preset is cleared before htmx reads the form on the same event.
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("[data-custom-range]") || !e.target.form) return;
    var preset = e.target.form.querySelector('[name="preset"]');
    if (preset) preset.value = "";
  }, true);
  // Payment mode: the payer picker only matters in pay-on-behalf mode; allow-quit only in self-pay.
  function syncPayment(root) {
    var checked = root.querySelector('input[name="payment_mode"]:checked');
    if (!checked) return;
    var behalf = checked.value === "behalf";
    var payer = root.querySelector('[data-field="payer"]');
    if (payer) payer.hidden = !behalf;
    var quit = root.querySelector('input[name="allow_quit"]');
    if (quit) { quit.disabled = behalf; if (behalf) quit.checked = false; }
  }
  document.body.addEventListener("change", function (e) {
    if (e.target.name === "payment_mode") syncPayment(e.target.form);
  });
  document.body.addEventListener("htmx:load", function (e) {
    var root = e.detail.elt;
    if (root.matches && root.matches("form")) syncPayment(root);
    if (root.querySelectorAll) root.querySelectorAll("form").forEach(syncPayment);
  });
  document.addEventListener("DOMContentLoaded", function () { document.querySelectorAll("form").forEach(syncPayment); });
  // Department tree (members page): the clicked department goes into the filter form before
  // htmx includes the form in its request (capture phase: this runs first).
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest(".dept-link[data-department]");
    if (!link) return;
    var field = document.getElementById("id_department");
    if (field) field.value = link.dataset.department;
  }, true);
})();
