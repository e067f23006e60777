// The Library page: search and filter the Works, as cards; star them.
"use strict";
(() => {
  const { api, el, workCard } = Muselab;
  const form = document.getElementById("library-filters");
  const grid = document.getElementById("works");
  const more = document.getElementById("more");
  const count = document.getElementById("works-count");
  let offset = 0, timer;

  async function load(append = false) {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) params.set(k, v);
    params.set("limit", "48");
    params.set("offset", append ? offset : 0);
    const data = await api("GET", "/v1/works?" + params);
    offset = (append ? offset : 0) + data.items.length;
    const cards = data.items.map(workCard);
    if (append) grid.append(...cards);
    else if (cards.length) grid.replaceChildren(...cards);
    else grid.replaceChildren(el("p", { class: "muted" }, "Nothing here yet. Make something from one of the studio pages, or try the demo engine on the Jobs page."));
    count.textContent = `${data.total} work${data.total === 1 ? "" : "s"}`;
    more.hidden = offset >= data.total;
  }

  Muselab.keepOnPage(form);
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(), 200); });
  more.addEventListener("click", () => load(true));
  document.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll("[data-view]").forEach((x) => x.classList.toggle("active", x === b));
    grid.className = "works " + (b.dataset.view === "list" ? "list" : "grid");
  }));
  Muselab.bindStars(grid);
  load();
})();
