// The record table: search, sort by a column, and pages of 100 rows, over the rows embedded
// in #records-data. No network, no library.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("records-data").textContent);
  var keys = data.map(function (r) { return r.join("\u0001").toLowerCase(); });
  var body = document.querySelector("#records-table tbody");
  var heads = document.querySelectorAll("#records-table th");
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var PAGE = 100;
  var rows = data.map(function (_, i) { return i; });
  var page = 0, column = -1, ascending = true;

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function render() {
    var start = page * PAGE, stop = Math.min(rows.length, start + PAGE);
    var fragment = document.createDocumentFragment();
    for (var k = start; k < stop; k++) {
      var r = data[rows[k]];
      var tr = document.createElement("tr");
      var first = document.createElement("td");
      if (r[7]) {
        var a = document.createElement("a");
        a.href = "records/" + r[0] + ".html";
        a.textContent = r[1] || "(no title)";
        first.appendChild(a);
      } else {
        first.textContent = r[1] || "(no title)";
      }
      tr.appendChild(first);
      for (var c = 2; c <= 6; c++) tr.appendChild(cell(r[c]));
      tr.appendChild(cell(r[0])).className = "mono";
      fragment.appendChild(tr);
    }
    body.replaceChildren(fragment);
    shown.textContent = rows.length
      ? "rows " + (start + 1) + "-" + stop + " of " + rows.length
      : "no row matches";
  }

  function filter() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    rows = [];
    for (var i = 0; i < keys.length; i++) {
      if (words.every(function (w) { return keys[i].indexOf(w) >= 0; })) rows.push(i);
    }
    if (column >= 0) order();
    page = 0;
    render();
  }

  function order() {
    var c = column, sign = ascending ? 1 : -1;
    rows.sort(function (a, b) {
      var x = data[a][c] || "", y = data[b][c] || "";
      return x < y ? -sign : x > y ? sign : a - b;
    });
  }

  heads.forEach(function (th) {
    th.addEventListener("click", function () {
      var c = Number(th.dataset.column);
      ascending = column === c ? !ascending : true;
      column = c;
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      order();
      page = 0;
      render();
    });
  });
  search.addEventListener("input", filter);
  document.getElementById("previous").addEventListener("click", function () {
    if (page > 0) { page--; render(); }
  });
  document.getElementById("next").addEventListener("click", function () {
    if ((page + 1) * PAGE < rows.length) { page++; render(); }
  });
  render();
})();
