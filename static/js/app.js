/* SafeLoop page behaviour: evidence upload with previews and a progress bar, print button.
   Served by the app (CSP script-src 'self'); pages work without it, this only adds comfort. */
(function () {
  "use strict";

  var EXTENSION_TYPES = {
    jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", pdf: "application/pdf",
    docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
  };

  function megabytes(n) { return (n / 1048576).toFixed(1) + " MB"; }

  function fileType(file) {
    var ext = (file.name.split(".").pop() || "").toLowerCase();
    return file.type || EXTENSION_TYPES[ext] || "";
  }

  function checkFiles(form, files) {
    var max = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var allowed = (form.getAttribute("data-accept-types") || "").split(",");
    var problems = [];
    Array.prototype.forEach.call(files, function (file) {
      if (max && file.size > max) {
        problems.push("文件“" + file.name + "”大小 " + megabytes(file.size) + "，超过上限 " + megabytes(max));
      } else if (allowed.indexOf(fileType(file)) < 0) {
        problems.push("文件“" + file.name + "”的类型不允许上传；允许：照片（JPEG/PNG/WebP）、PDF、Word(.docx)、Excel(.xlsx)");
      } else if (file.size === 0) {
        problems.push("文件“" + file.name + "”为空");
      }
    });
    return problems;
  }

  function showError(form, field, message) {
    var slot = form.querySelector('[data-error-for="' + field + '"]') ||
               form.querySelector('[data-error-for="files"]');
    if (slot) { slot.textContent = message || ""; }
    var input = form.querySelector('[name="' + field + '"]') || form.querySelector('[name="files"]');
    if (input) {
      if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    }
  }

  function showPreviews(form, files) {
    var box = form.querySelector("[data-previews]");
    if (!box) { return; }
    box.textContent = "";
    Array.prototype.forEach.call(files, function (file) {
      var figure = document.createElement("figure");
      var caption = document.createElement("figcaption");
      caption.textContent = file.name + "（" + megabytes(file.size) + "）";
      if (/^image\//.test(fileType(file)) && file.size < 30 * 1048576) {
        var img = document.createElement("img");
        img.alt = file.name;
        var reader = new FileReader();
        reader.onload = function () { img.src = reader.result; };  /* data: URL, allowed by img-src */
        reader.readAsDataURL(file);
        figure.appendChild(img);
      }
      figure.appendChild(caption);
      box.appendChild(figure);
    });
  }

  function navigate(target) {
    var url = new URL(target, window.location.href);
    if (url.pathname + url.search === window.location.pathname + window.location.search) {
      /* only the fragment differs: assign() would not reload and the new files would not show */
      window.history.replaceState(null, "", url.href);
      window.location.reload();
    } else {
      window.location.assign(url.href);
    }
  }

  function setupUpload(form) {
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector("[data-progress]");
    var text = form.querySelector("[data-progress-text]");
    var button = form.querySelector('button[type="submit"]');

    input.addEventListener("change", function () {
      showPreviews(form, input.files);
      var problems = checkFiles(form, input.files);
      showError(form, "files", problems.join("；"));
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!input.files.length) { showError(form, "files", "请选择要上传的文件"); return; }
      var problems = checkFiles(form, input.files);
      if (problems.length) { showError(form, "files", problems.join("；")); return; }
      showError(form, "files", "");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var pct = Math.round(e.loaded * 100 / e.total);
          bar.value = pct;
          text.textContent = "已上传 " + pct + "%";
        }
      });
      xhr.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (xhr.status === 200 && body && body.redirect) {
          bar.value = 100;
          text.textContent = "上传完成";
          navigate(body.redirect);
          return;
        }
        button.disabled = false;
        bar.hidden = true;
        text.textContent = "";
        var message = (body && body.message) || (xhr.status === 413 ? "上传内容超过大小上限，请分批上传" : "上传失败（" + xhr.status + "），请重试");
        showError(form, (body && body.field) || "files", message);
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        bar.hidden = true;
        text.textContent = "";
        showError(form, "files", "网络错误，上传未完成，请重试");
      });
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), setupUpload);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (btn) {
      btn.addEventListener("click", function () { window.print(); });
    });
  });
}());
