// Case list / work queue: "select all" and the count of selected rows for the bulk action bar.
(function () {
  var all = document.getElementById("bulk-all");
  var count = document.getElementById("bulk-count");
  if (!count) return;
  function boxes() { return document.querySelectorAll('input[name="item"][form="bulk-form"]'); }
  function update() {
    var n = 0;
    boxes().forEach(function (b) { if (b.checked) n++; });
    count.textContent = n;
  }
  if (all) {
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      update();
    });
  }
  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "item") update();
  });
  update();
})();
