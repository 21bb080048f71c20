// Draws every Plotly figure on the page and makes tables sortable (progressive enhancement:
// without JavaScript the tables beside the charts still hold every number).
(function () {
  function drawCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var spec = JSON.parse(document.getElementById(el.dataset.figure).textContent);
      // No modebar: it covered titles on phones; every chart's numbers are in its table.
      window.Plotly.newPlot(el, spec.data, spec.layout,
                            {responsive: true, displayModeBar: false, displaylogo: false});
      el.setAttribute("data-drawn", "1");
    });
  }
  function cellValue(row, index) {
    var cell = row.children[index];
    var raw = cell ? (cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim()) : "";
    var num = parseFloat(raw);
    return isNaN(num) || raw === "" ? raw.toLowerCase() : num;
  }
  function makeSortable(table) {
    table.querySelectorAll("th[data-sort]").forEach(function (th, _, all) {
      th.setAttribute("tabindex", "0");
      function sort() {
        var index = Array.prototype.indexOf.call(th.parentNode.children, th);
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        all.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          if (x === y) { return 0; }
          if (x === "" || x === "—") { return 1; }
          if (y === "" || y === "—") { return -1; }
          return (x < y ? -1 : 1) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    document.querySelectorAll("table.sortable").forEach(makeSortable);
  });
})();
