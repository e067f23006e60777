// The Storyboard page: plan shots from an idea, a story or a poem; edit them as cards; render the film. Edits
// become a new storyboard Work (storyboard.edit) before rendering, so the render re-uses every unchanged part.
"use strict";
(() => {
  const { api, el, toast, submit, watch, contentUrl, workUrl, workApi, keepOnPage, pageData } = Muselab;
  const $ = (id) => document.getElementById(id);
  const OPTIONS = pageData("storyboard-options");
  const FIELDS = ["caption", "narration", "picture_prompt", "duration", "mood"];
  const bar = $("progress"), status = $("status");
  let boardId = null, board = null;  // the storyboard Work shown, and its document
  let cards = [];  // [{original index, fields..., changed}] in the order shown
  let pictures = {};  // shot index (0-based, in the rendered board) -> picture Work id

  keepOnPage($("plan-form"));

  function runJob(task, recipe) {
    bar.hidden = false;
    bar.value = 0;
    return new Promise((resolve, reject) => {
      submit(task, recipe).then((job) => {
        watch(job.id, (event) => {
          if (event.fraction !== null && event.fraction !== undefined) bar.value = event.fraction;
          if (event.message) status.textContent = event.message;
        }, async (final) => {
          bar.hidden = true;
          if (final.state !== "succeeded") {
            toast(`${task} ${final.state}: ${final.error || final.message}`, true);
            status.textContent = final.error || final.state;
            reject(new Error(final.error || final.state));
            return;
          }
          resolve(await Promise.all((final.work_ids || []).map((id) => api("GET", workApi(id)))));
        });
      }).catch(reject);
    });
  }

  async function show(work) {
    boardId = work.id;
    board = await (await fetch(contentUrl(work.id))).json();
    cards = board.shots.map((shot, i) => ({ from: i, ...shot, changed: false, deleted: false }));
    $("board-title").replaceChildren(el("a", { href: workUrl(work.id) }, board.title || "(untitled)"),
      ` · ${board.language} · ${board.mode === "poem" ? "诗配画" : "story"} · ${board.shots.length} shots, `,
      `${board.shots.reduce((a, s) => a + s.duration, 0).toFixed(0)} s`);
    $("render-button").disabled = false;
    draw();
  }

  function draw() {
    $("shots").replaceChildren(...cards.map((card, i) => {
      const picture = card.picture_work_id || pictures[card.from];
      const moods = OPTIONS.moods.map((m) => el("option", { selected: m === card.mood }, m));
      return el("div", { class: "shot" + (card.changed ? " changed" : ""), "data-i": i },
        el("div", { class: "head" }, `${i + 1}`,
          el("span", {}, el("button", { type: "button", "data-move": -1, title: "earlier" }, "↑"),
            el("button", { type: "button", "data-move": 1, title: "later" }, "↓"),
            el("button", { type: "button", "data-delete": 1, title: "remove" }, "✕"))),
        picture ? el("img", { src: contentUrl(picture), alt: card.picture_prompt }) : null,
        el("input", { name: "caption", value: card.caption, maxlength: 300, placeholder: "caption · 字幕" }),
        el("textarea", { name: "narration", maxlength: 1000, placeholder: "narration · 旁白" }, card.narration),
        el("input", { name: "picture_prompt", value: card.picture_prompt, maxlength: 500, placeholder: "picture · 画面" }),
        el("div", { class: "row" },
          el("select", { name: "mood" }, moods),
          el("input", { name: "duration", type: "number", min: 1, max: 60, step: 0.5, value: card.duration })));
    }));
  }

  $("shots").addEventListener("input", (e) => {
    const node = e.target.closest(".shot");
    if (!node || !FIELDS.includes(e.target.name)) return;
    const card = cards[node.dataset.i];
    card[e.target.name] = e.target.name === "duration" ? Number(e.target.value) : e.target.value;
    card.changed = true;
    node.classList.add("changed");
  });
  $("shots").addEventListener("click", (e) => {
    const node = e.target.closest(".shot");
    if (!node) return;
    const i = Number(node.dataset.i);
    if (e.target.dataset.move) {
      const j = i + Number(e.target.dataset.move);
      if (j < 0 || j >= cards.length) return;
      [cards[i], cards[j]] = [cards[j], cards[i]];
      draw();
    } else if (e.target.dataset.delete) {
      if (cards.length === 1) { toast("a storyboard keeps at least one shot", true); return; }
      cards.splice(i, 1);
      draw();
    }
  });

  $("plan-form").addEventListener("submit", async (e) => {
    const form = e.target;
    const recipe = { shots: Number(form.shots.value), seconds: Number(form.seconds.value) };
    if (form.prompt.value.trim()) recipe.prompt = form.prompt.value.trim();
    if (form.text.value.trim()) recipe.text = form.text.value.trim();
    pictures = {};
    $("film").replaceChildren();
    const works = await runJob("storyboard.plan", recipe);
    const planned = works.find((w) => w.media_type === "application/json" && w.task === "storyboard.plan");
    if (planned) { await show(planned); status.textContent = "planned · 已规划"; }
  });

  // The edits that turn the shown storyboard into the cards as they are now.
  function edits() {
    const list = [];
    const order = cards.map((c) => c.from);
    let current = board.shots.map((_, i) => i);  // original indexes in the order the edits leave them
    for (const from of [...current]) {  // deletions first, from the end so numbers stay right
      if (!order.includes(from)) list.push({ shot: current.indexOf(from) + 1, delete: true });
      if (!order.includes(from)) current = current.filter((x) => x !== from);
    }
    order.forEach((from, place) => {  // then moves, into the cards' order
      const at = current.indexOf(from);
      if (at !== place) {
        list.push({ shot: at + 1, move_to: place + 1 });
        current.splice(at, 1);
        current.splice(place, 0, from);
      }
    });
    cards.forEach((card, place) => {  // then the changed fields
      if (!card.changed) return;
      const was = board.shots[card.from];
      const change = Object.fromEntries(FIELDS.filter((f) => card[f] !== was[f]).map((f) => [f, card[f]]));
      if (Object.keys(change).length) list.push({ shot: place + 1, ...change });
    });
    return list;
  }

  $("render-button").addEventListener("click", async () => {
    const form = $("plan-form");
    const changes = edits();
    if (changes.length) {
      const works = await runJob("storyboard.edit", { storyboard_work_id: boardId, edits: changes });
      await show(works.find((w) => w.media_type === "application/json"));
    }
    const [film] = (await runJob("storyboard.render", {
      storyboard_work_id: boardId, transition: form.transition.value, narrate: form.narrate.value === "true",
    })).filter((w) => w.kind === "video");
    if (!film) return;
    for (const [i, id] of Object.entries((film.meta || {}).pictures || {})) pictures[i] = id;
    draw();
    const robotic = (film.meta || {}).robotic_voice;
    $("film").replaceChildren(el("video", { controls: true, preload: "metadata", src: contentUrl(film.id) }),
      el("div", {}, el("a", { href: workUrl(film.id) }, film.title || film.id),
        robotic ? [" ", el("span", { class: "badge robotic", title: "espeak-ng reading pinyin" }, "robotic voice · 机器朗读")] : null));
    status.textContent = "rendered · 已生成";
  });

  const wanted = new URLSearchParams(location.search).get("work");
  if (wanted) api("GET", workApi(wanted)).then(show);
})();
