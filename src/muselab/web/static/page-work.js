// A Work's page: star, use all / remix, delete, tag, put on a board.
"use strict";
(() => {
  const { api, el, toast, workApi } = Muselab;
  const id = document.querySelector(".work-detail").dataset.workId;

  Muselab.bindStars(document.querySelector(".work-detail .actions"));
  const again = async (how) => {
    const r = await api("GET", workApi(id, `/${how}`));
    const job = await Muselab.submit(r.task, r.recipe);
    toast(`Submitted job ${job.id}`);
    window.location = "/jobs";
  };
  document.querySelector("[data-restore]")?.addEventListener("click", () => again("restore"));
  document.querySelector("[data-remix]")?.addEventListener("click", () => again("remix"));
  document.querySelector("[data-delete]")?.addEventListener("click", async () => {
    if (!confirm("Delete this work? Its file goes too unless another work shares it.")) return;
    await api("DELETE", workApi(id));
    window.location = "/";
  });
  document.getElementById("tag-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const tag = e.target.tag.value.trim();
    if (!tag) return;
    const w = await api("POST", workApi(id, "/tags"), { add: [tag] });
    document.getElementById("tags").replaceChildren(...w.tags.map((t) => el("span", { class: "tag" }, t)));
    e.target.reset();
  });
  document.getElementById("board-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const board = e.target.board.value.trim();
    if (!board) return;
    await api("POST", `/v1/boards/${encodeURIComponent(board)}/works`, { ids: [id] });
    window.location.reload();
  });
})();
