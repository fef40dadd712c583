/* An office's working day: error summary focus, drafts kept per form, 常用语,
   confirmation of decisions, the photo lightbox, registration photo previews.
   Everything degrades to plain forms and links without script. */
(function () {
  "use strict";

  function each(selector, fn, root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(selector), fn);
  }

  function formFor(name) {
    if (name === "case") { return document.getElementById("case-form"); }
    if (name.indexOf("action-") === 0) { return document.getElementById("form-" + name.slice(7)); }
    return document.getElementById("form-" + name);
  }

  function fieldFor(summary, link) {
    var form = formFor(summary.dataset.form || "");
    var name = link.dataset.field;
    var field = form ? form.querySelector('[name="' + name + '"]') : null;
    return field || document.getElementById(link.getAttribute("href").slice(1));
  }

  function openAround(field) {
    var details = field.closest("details");
    while (details) { details.open = true; details = details.parentElement.closest("details"); }
  }

  /* scroll so the element's top sits just below the top edge (whole pixels, a small margin:
     scrollIntoView can leave a fractional top a hair above the viewport) */
  function toTop(el) {
    var y = el.getBoundingClientRect().top + window.scrollY - 8;
    window.scrollTo(0, Math.max(0, Math.floor(y)));
  }

  /* the error summary: in view at the top, focus on the first bad field */
  function setupSummary(summary) {
    each("a[data-field]", function (link) {
      link.addEventListener("click", function (event) {
        var field = fieldFor(summary, link);
        if (!field) { return; }
        event.preventDefault();
        openAround(field);
        field.scrollIntoView({block: "center"});
        field.focus();
      });
    }, summary);
    toTop(summary);
    var first = summary.querySelector("a[data-field]");
    var field = first ? fieldFor(summary, first) : null;
    if (field) {
      openAround(field);
      field.focus({preventScroll: true});
      toTop(summary);
    } else {
      summary.focus();
    }
  }

  /* each form keeps its own typed text while another form on the page submits */
  var STORE = "draft:" + window.location.pathname + ":";
  function draftKey(form, field) { return STORE + (form.id || "form") + ":" + field.name; }
  function textFields(form) {
    return Array.prototype.filter.call(form.querySelectorAll("textarea, input[type=text], input[type=tel], input[type=date], input:not([type])"),
      function (f) { return f.name && f.name !== "csrf_token" && f.name !== "version"; });
  }
  function setupDraft(form, refused) {
    var store;
    try { store = window.sessionStorage; } catch (err) { return; }
    if (!store) { return; }
    var pending = store.getItem(STORE + "pending");
    textFields(form).forEach(function (field) {
      var key = draftKey(form, field);
      if (pending === form.id && !refused) {
        store.removeItem(key);  /* this form was submitted and went through */
      } else if (store.getItem(key) !== null && !field.value) {
        field.value = store.getItem(key);
      }
      field.addEventListener("input", function () { store.setItem(key, field.value); });
    });
    form.addEventListener("submit", function () { store.setItem(STORE + "pending", form.id); });
  }

  /* 常用语: pick one into the 意见 box */
  function setupOpinion(chip) {
    chip.addEventListener("click", function () {
      var box = document.getElementById(chip.dataset.for);
      if (!box) { return; }
      box.value = chip.dataset.opinion;
      box.dispatchEvent(new Event("input"));
      box.focus();
    });
  }

  /* decisions ask for confirmation in a dialog */
  function setupConfirm(button) {
    var dialog = document.getElementById("confirm-dialog");
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    button.addEventListener("click", function (event) {
      if (button.dataset.confirmed === "1") { button.dataset.confirmed = ""; return; }
      event.preventDefault();
      var box = document.getElementById("approval-comment");
      document.getElementById("confirm-text").textContent = button.dataset.confirm;
      document.getElementById("confirm-opinion").textContent = box && box.value.trim() ? "意见：" + box.value.trim() : "尚未填写意见";
      dialog.returnValue = "";
      dialog.showModal();
      dialog.addEventListener("close", function once() {
        dialog.removeEventListener("close", once);
        if (dialog.returnValue === "ok") {
          button.dataset.confirmed = "1";
          button.click();
        }
      });
    });
  }

  /* a small lightbox: the photo large, previous/next, Esc closes */
  function setupLightbox() {
    var links = Array.prototype.slice.call(document.querySelectorAll("a[data-lightbox]"));
    if (!links.length) { return; }
    var box = document.createElement("dialog");
    box.className = "lightbox";
    box.setAttribute("aria-label", "照片");
    box.innerHTML = '<figure><img alt=""><figcaption></figcaption></figure>' +
      '<p><button type="button" data-step="-1">上一张</button> <button type="button" data-close>关闭</button> <button type="button" data-step="1">下一张</button></p>';
    document.body.appendChild(box);
    var img = box.querySelector("img");
    var caption = box.querySelector("figcaption");
    var index = 0;
    function show(i) {
      index = (i + links.length) % links.length;
      img.src = links[index].href;
      img.alt = links[index].dataset.caption || "";
      caption.textContent = (links[index].dataset.caption || "") + "（" + (index + 1) + "/" + links.length + "）";
    }
    links.forEach(function (link, i) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        show(i);
        if (typeof box.showModal === "function") { box.showModal(); } else { window.location.href = link.href; }
      });
    });
    each("[data-step]", function (b) {
      b.addEventListener("click", function () { show(index + Number(b.dataset.step)); });
    }, box);
    box.querySelector("[data-close]").addEventListener("click", function () { box.close(); });
    box.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight") { show(index + 1); }
      if (e.key === "ArrowLeft") { show(index - 1); }
    });
  }

  /* registration photos: thumbnails of the chosen files before they are sent */
  function setupPhotoPreviews(input) {
    var box = document.querySelector("[data-photo-previews]");
    if (!box) { return; }
    input.addEventListener("change", function () {
      box.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var img = document.createElement("img");
        img.className = "thumb";
        img.alt = file.name;
        var reader = new FileReader();
        reader.onload = function () { img.src = reader.result; };
        reader.readAsDataURL(file);
        box.appendChild(img);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    /* a browser's own submission goes Post/Redirect/Get */
    each("form[method=post]", function (form) {
      var action = form.getAttribute("action") || "";
      if (!form.querySelector("input[name=_prg]") && !form.hasAttribute("data-upload")
          && action.indexOf("/api/") !== 0 && form.enctype !== "multipart/form-data") {
        var flag = document.createElement("input");
        flag.type = "hidden"; flag.name = "_prg"; flag.value = "1";
        form.appendChild(flag);
      }
    });
    var summary = document.querySelector("[data-error-summary]");
    var refusedForm = summary ? formFor(summary.dataset.form || "") : null;
    each("form[data-keep-draft]", function (form) { setupDraft(form, form === refusedForm); });
    try { window.sessionStorage.removeItem(STORE + "pending"); } catch (err) { /* no storage */ }
    each("[data-opinion]", setupOpinion);
    each("button[data-confirm]", setupConfirm);
    setupLightbox();
    each("#f-photos", setupPhotoPreviews);
    if (window.matchMedia && window.matchMedia("(min-width: 900px)").matches) {
      each("details[data-open-wide]", function (d) { d.open = true; });
    }
    if (summary) { setupSummary(summary); }
  });
}());

/* the leader's dashboard: sortable ranked tables, units without cases on demand */
(function () {
  "use strict";
  function sortTable(table, key, button) {
    var index = Array.prototype.indexOf.call(button.closest("tr").children, button.closest("th"));
    var desc = button.getAttribute("aria-sort") !== "descending";
    Array.prototype.forEach.call(table.querySelectorAll("th button"), function (b) {
      b.removeAttribute("aria-sort");
      b.textContent = b.textContent.replace(/ [▲▼]$/, "");
    });
    button.setAttribute("aria-sort", desc ? "descending" : "ascending");
    button.textContent += desc ? " ▼" : " ▲";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = Number(a.cells[index].dataset.value), y = Number(b.cells[index].dataset.value);
      return desc ? y - x : x - y;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable] th button[data-sort]"), function (button) {
      button.addEventListener("click", function () { sortTable(button.closest("table"), button.dataset.sort, button); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-show-zero]"), function (box) {
      box.addEventListener("change", function () {
        document.getElementById(box.dataset.showZero).classList.toggle("show-zero", box.checked);
      });
    });
  });
}());
