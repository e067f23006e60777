// The Train page: train a small model on a corpus with a live loss chart; stop, resume, and write samples.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const { api, el, workApi, jobApi } = Muselab;
  let points = [], jobId = null;

  Muselab.keepOnPage($("sample-form"));

  function draw() {
    const c = $("loss-chart"), g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    const train = points.filter(p => p.train_loss != null), val = points.filter(p => p.val_loss != null);
    const all = train.map(p => p.train_loss).concat(val.map(p => p.val_loss));
    if (!all.length) return;
    const maxStep = Math.max(...points.map(p => p.step)), lo = Math.min(...all), hi = Math.max(...all);
    const x = (s) => 40 + (c.width - 50) * s / Math.max(maxStep, 1);
    const y = (v) => 10 + (c.height - 30) * (1 - (v - lo) / ((hi - lo) || 1));
    g.strokeStyle = "#ccc"; g.fillStyle = "#555"; g.font = "11px sans-serif";
    for (let i = 0; i <= 4; i++) { const v = lo + (hi - lo) * i / 4; g.fillText(v.toFixed(2), 2, y(v) + 4);
      g.beginPath(); g.moveTo(40, y(v)); g.lineTo(c.width - 10, y(v)); g.stroke(); }
    for (const [series, key, color] of [[train, "train_loss", "#2a6fdb"], [val, "val_loss", "#d9822b"]]) {
      g.strokeStyle = color; g.lineWidth = 2; g.beginPath();
      series.forEach((p, i) => i ? g.lineTo(x(p.step), y(p[key])) : g.moveTo(x(p.step), y(p[key])));
      g.stroke();
    }
  }

  function onEvent(e) {
    const d = e.data || {};
    if (e.message) $("status").textContent = e.message;
    if (d.step == null) return;
    points.push(d);
    $("s-step").textContent = `${d.step}/${d.max_steps ?? "?"}`;
    if (d.train_loss != null) $("s-train").textContent = Number(d.train_loss).toFixed(3);
    if (d.val_loss != null) { $("s-val").textContent = Number(d.val_loss).toFixed(3); $("s-ppl").textContent = d.val_ppl ?? "–"; }
    if (d.tokens_per_s != null) $("s-tps").textContent = Math.round(d.tokens_per_s);
    if (d.eta_s != null) $("s-eta").textContent = `${Math.floor(d.eta_s / 60)}m${String(Math.round(d.eta_s % 60)).padStart(2, "0")}s`;
    draw();
  }

  function follow(job) {
    jobId = job.id; points = []; draw();
    $("start").disabled = true; $("stop").disabled = false; $("resume").disabled = true;
    Muselab.watch(job.id, onEvent, (final) => {
      $("start").disabled = false; $("stop").disabled = true;
      $("resume").disabled = !(final.state === "cancelled" || final.state === "failed");
      $("status").textContent = `${final.state}: ${final.error || final.message || ""}`;
      loadModels();
    });
  }

  const option = (w) => el("option", { value: w.id }, w.title || w.id);

  async function loadCorpora() {
    const data = await api("GET", "/v1/works?kind=corpus&limit=200");
    $("corpus").replaceChildren(...(data.items.length ? data.items.map(option)
      : [el("option", { value: "" }, "no corpus yet: muselab corpus import / get")]));
    await corpusChanged();
  }

  async function corpusChanged() {
    const id = $("corpus").value;
    if (!id) return;
    const w = await api("GET", workApi(id));
    const m = w.meta || {};
    $("corpus-info").textContent = `${m.records ?? "?"} records · ${m.chars ?? "?"} characters · ${m.distinct_chars ?? "?"} distinct`;
    $("estimate").textContent = "Estimating time on this machine…";
    const vocab = Number(m.distinct_chars) || 100;
    const est = await api("GET", `/v1/training/presets?vocab_size=${vocab}`);
    $("estimate").textContent = est.items.map(p => `${p.name}: ~${Math.ceil(p.estimated_seconds / 60)} min`).join(" · ");
  }

  async function loadModels() {  // trained models, and checkpoints kept by stopped runs
    const models = await api("GET", "/v1/works?kind=model&limit=200");
    const checkpoints = await api("GET", "/v1/works?tag=checkpoint&limit=50");
    $("model").replaceChildren(...models.items.concat(checkpoints.items).map(option));
  }

  $("corpus").addEventListener("change", corpusChanged);
  $("train-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const recipe = { corpus_work_id: $("corpus").value, preset: $("preset").value, tokenizer: $("tokenizer").value,
                     dp: $("dp").checked, title: $("title").value };
    if ($("max_steps").value) recipe.max_steps = Number($("max_steps").value);
    follow(await Muselab.submit(`training.train_${$("arch").value}`, recipe));
  });
  $("stop").addEventListener("click", () => jobId && api("POST", jobApi(jobId, "/cancel")));
  $("resume").addEventListener("click", async () => follow(await api("POST", `/v1/training/runs/${encodeURIComponent(jobId)}/resume`)));
  $("sample").addEventListener("click", async () => {
    const recipe = { model_work_id: $("model").value, prompt: $("prompt").value, max_tokens: 200,
                     temperature: Number($("temperature").value), top_p: Number($("top_p").value) };
    const job = await Muselab.submit("training.sample", recipe);
    $("sample-out").textContent = "…";
    Muselab.watch(job.id, null, async (final) => {
      if (final.state !== "succeeded") { $("sample-out").textContent = final.error || final.state; return; }
      const w = await api("GET", workApi(final.work_ids[0]));
      $("sample-out").textContent = w.text;
    });
  });
  loadCorpora(); loadModels();
  const followId = new URLSearchParams(location.search).get("job");  // /train?job=ID follows a running run
  if (followId) api("GET", jobApi(followId)).then(follow);
})();
