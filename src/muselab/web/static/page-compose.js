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
  const NEEDS_INPUT = ["music.continue", "music.harmonize", "music.vary", "music.arrange", "music.loop"];
  const INPUT_FIELD = { "music.continue": "primer_work_id", "music.harmonize": "melody_work_id",
    "music.vary": "melody_work_id", "music.arrange": "work_id", "music.loop": "work_id" };

  function show() {
    const t = task.value;
    const visible = {
      input: NEEDS_INPUT.includes(t), frame: ["music.song", "music.melody", "music.chords"].includes(t),
      bars: ["music.song", "music.melody", "music.chords", "music.continue"].includes(t),
      candidates: ["music.melody", "music.continue"].includes(t),
      learned: ["music.melody", "music.continue"].includes(t), vary: t === "music.vary", loop: t === "music.loop",
      arrange: t === "music.song",
    };
    for (const node of form.querySelectorAll("[data-for]")) node.classList.toggle("hidden", !visible[node.dataset.for]);
  }
  task.addEventListener("change", show);
  show();

  function recipeFromForm() {
    const t = task.value;
    const data = Object.fromEntries(new FormData(form).entries());
    const recipe = { title: data.title || "" };
    if (data.seed) recipe.seed = Number(data.seed);
    if (["music.song", "music.melody", "music.chords"].includes(t)) {
      Object.assign(recipe, { key: data.key, style: data.style, mood: data.mood, time_signature: data.time_signature,
        bars: Number(data.bars) });
      if (data.mode) recipe.mode = data.mode;
      if (data.tempo) recipe.tempo = Number(data.tempo);
    }
    if (t === "music.song" && data.melody_instrument) recipe.melody_instrument = data.melody_instrument;
    if (t === "music.melody") Object.assign(recipe, { generator: data.generator, n: Number(data.n),
      temperature: Number(data.temperature) });
    if (t === "music.continue") Object.assign(recipe, { bars: Number(data.bars), n: Number(data.n),
      generator: data.generator === "markov" ? "markov" : "neural", temperature: Number(data.temperature) });
    if (t === "music.vary") Object.assign(recipe, { operation: data.operation, semitones: Number(data.semitones) });
    if (t === "music.loop") recipe.duration_seconds = Number(data.duration_seconds);
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
      if (NEEDS_INPUT.includes(t)) {
        const file = document.getElementById("midi-file").files[0];
        if (!file) { toast("choose a MIDI file first · 请选择 MIDI 文件", true); return; }
        const body = new FormData();
        body.append("file", file);
        const uploaded = await api("POST", "/v1/works", body);
        recipe[INPUT_FIELD[t]] = uploaded.id;
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
