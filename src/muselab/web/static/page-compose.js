// The Compose page: melodies, chords and songs (or work on an uploaded MIDI), each candidate with its audio,
// score and piano roll; keep or discard.
"use strict";
(() => {
  const { api, el, toast, workApi, workUrl, contentUrl, downloadUrl } = Muselab;
  const form = document.getElementById("compose-form");
  const task = document.getElementById("task");
  const results = document.getElementById("results");
  const status = document.getElementById("status");
  const bar = document.getElementById("progress");
  // every task as its recipe describes it: fields, defaults, ranges, choices, and the Work it works on
  const TASKS = Object.fromEntries(Muselab.pageData("compose-tasks").map((t) => [t.name, t]));
  const spec = () => TASKS[task.value];
  const has = (field) => spec().fields.includes(field);
  const touched = new Set();  // controls the person changed keep their value when the task changes
  form.addEventListener("input", (e) => { if (e.target.name) touched.add(e.target.name); });

  function show() {
    const t = spec();
    for (const node of form.querySelectorAll("[data-for]")) {
      node.classList.toggle("hidden", !(node.dataset.for === "input" ? Boolean(t.input) : has(node.dataset.for)));
    }
    for (const control of form.elements) {
      const name = control.name;
      if (!name || !has(name) || control.closest(".hidden")) continue;
      if (control.tagName === "SELECT" && t.choices[name]) {  // this task's values (continue: markov | neural)
        const keep = control.value;
        control.replaceChildren(...t.choices[name].map((v) => el("option", {}, String(v))));
        if (t.choices[name].map(String).includes(keep)) control.value = keep;
      }
      const range = t.limits[name] || {};
      if (control.type === "number") {
        if (range.min !== undefined) control.min = range.min; else control.removeAttribute("min");
        if (range.max !== undefined) control.max = range.max; else control.removeAttribute("max");
      }
      if (!touched.has(name) && t.defaults[name] !== undefined && typeof t.defaults[name] !== "boolean") {
        control.value = t.defaults[name];
      }
    }
  }
  task.addEventListener("change", show);
  show();

  function recipeFromForm() {
    // the visible controls naming a field of this task's recipe; empty ones are left out (the recipe's default)
    const recipe = {};
    for (const control of form.elements) {
      const name = control.name;
      if (!name || !has(name) || control.closest(".hidden") || control.value === "") continue;
      recipe[name] = control.type === "number" ? Number(control.value) : control.value;
    }
    return recipe;
  }

  function candidateCard(midi, children) {
    const by = (kind) => children.filter((w) => w.kind === kind);
    const audio = by("audio"), score = by("score")[0], roll = by("image")[0];
    const meta = midi.meta || {};
    const chords = (meta.chords_per_bar || []).map((b) => [].concat(b).join(" ")).join(" | ");
    const player = audio.find((w) => w.media_type === "audio/ogg") || audio[0];
    const ids = [midi.id, ...children.map((w) => w.id)];
    const rendered = meta.renderer ? ` · ${meta.duration} s · peak ${meta.peak_dbfs} dBFS · ${meta.loudness_lufs} LUFS · rendered by ${meta.renderer}` : "";
    const button = (href, label) => [el("a", { class: "button", href }, label), " "];
    return el("div", { class: "candidate", "data-ids": ids.join(",") },
      el("strong", {}, midi.title),
      el("div", { class: "meta" }, `${meta.key ?? ""} ${meta.mode ?? ""} · ${meta.tempo ?? ""} bpm · ${meta.time_signature ?? ""}${rendered}`),
      player ? el("audio", { controls: true, preload: "none", src: contentUrl(player.id) }) : null,
      roll ? el("img", { src: contentUrl(roll.id), alt: "piano roll" }) : null,
      el("div", { class: "meta" }, chords),
      el("div", { class: "downloads" },
        button(downloadUrl(midi.id), "MIDI"),
        score ? button(downloadUrl(score.id), "MusicXML") : null,
        audio.map((w) => button(downloadUrl(w.id), String(w.media_type).split("/")[1])),
        el("button", { type: "button", "data-keep": midi.id }, "Keep ★ 保留"), " ",
        el("button", { type: "button", class: "danger", "data-discard": true }, "Discard 丢弃"), " ",
        el("a", { href: workUrl(midi.id) }, "details")));
  }

  async function showResults(job) {
    const works = await Promise.all((job.work_ids || []).map((id) => api("GET", workApi(id))));
    const midis = works.filter((w) => w.kind === "midi");
    results.replaceChildren(...midis.map((m) => candidateCard(m, works.filter((w) => (w.parents || []).includes(m.id)))));
  }

  results.addEventListener("click", async (e) => {
    const keep = e.target.closest("[data-keep]");
    const discard = e.target.closest("[data-discard]");
    const card = e.target.closest(".candidate");
    if (keep) {
      await api("POST", workApi(keep.dataset.keep, "/star"), { starred: true });
      card.classList.add("kept");
      toast("kept ★");
    } else if (discard) {
      if (!confirm("Delete this candidate (MIDI, audio, score, piano roll) from the library? · 删除此候选？")) return;
      for (const id of card.dataset.ids.split(",")) await api("DELETE", workApi(id));
      card.classList.add("discarded");
      toast("discarded · 已丢弃");
    }
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();  // the form is read here, not sent as a page request
    const t = task.value;
    const recipe = recipeFromForm();
    try {
      if (spec().input) {
        const file = document.getElementById("midi-file").files[0];
        if (!file) { toast("choose a MIDI file first · 请选择 MIDI 文件", true); return; }
        const body = new FormData();
        body.append("file", file);
        const uploaded = await api("POST", "/v1/works", body);
        recipe[spec().input] = uploaded.id;
      }
      const job = await Muselab.submit(t, recipe);
      bar.hidden = false; bar.value = 0; status.textContent = "queued";
      Muselab.watch(job.id, (event) => {
        if (event.fraction != null) bar.value = event.fraction;
        if (event.message) status.textContent = event.message;
      }, async (final) => {
        bar.hidden = true;
        status.textContent = final.state === "succeeded" ? "done · 完成" : `${final.state}: ${final.error || final.message || ""}`;
        if (final.state === "succeeded") await showResults(final);
      });
    } catch (err) { status.textContent = err.message; }
  });
})();
