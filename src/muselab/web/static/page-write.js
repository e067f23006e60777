// The Write page: pick a form, write candidates with a live stream, keep or discard; story tools and a draft.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const { api, el, toast, workApi, workUrl, jobApi } = Muselab;
  const form = $("write-form"), picker = $("form-picker"), status = $("status"), cands = $("candidates");
  const DRAFT_KEY = "muselab.write.draft";
  let lore = [], job = null;
  const cards = new Map();  // candidate index -> its card

  Muselab.keepOnPage(form);

  // ---- form picker: show the fields the chosen form uses ----
  function showForm() {
    const opt = picker.selectedOptions[0];
    if (!opt) return;
    const needsText = opt.dataset.needs === "text";
    const options = (opt.dataset.options || "").split(",").filter(Boolean);
    $("form-description").textContent = opt.dataset.description || "";
    $("text-block").hidden = !needsText;
    $("prompt-hint").textContent = needsText ? "instructions (optional) · 要求（可选）" : "what to write: an idea, a theme · 写什么";
    document.querySelectorAll("[data-option]").forEach((node) => { node.hidden = !options.includes(node.dataset.option); });
  }
  picker.addEventListener("change", showForm);

  // ---- lorebook editor ----
  function loreEntry(e, i) {
    const keys = el("input", { type: "text", "data-k": "keys", placeholder: "keys, comma separated · 关键词" });
    keys.value = (e.keys || []).join(", ");
    const content = el("textarea", { "data-k": "content", placeholder: "what the model should know · 设定内容" });
    content.value = e.content || "";
    return el("div", { class: "lore-entry", "data-i": i }, keys, " ", content, " ",
      el("button", { type: "button", class: "secondary", "data-remove": i }, "remove"));
  }
  function renderLore() { $("lorebook").replaceChildren(...lore.map(loreEntry)); }
  $("lorebook").addEventListener("input", (ev) => {
    const box = ev.target.closest(".lore-entry"); if (!box) return;
    const e = lore[Number(box.dataset.i)];
    if (ev.target.dataset.k === "keys") e.keys = ev.target.value.split(/[,，]/).map((s) => s.trim()).filter(Boolean);
    else e.content = ev.target.value;
    saveDraft();
  });
  $("lorebook").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-remove]"); if (!b) return;
    lore.splice(Number(b.dataset.remove), 1); renderLore(); saveDraft();
  });
  $("lore-add").addEventListener("click", () => { lore.push({ keys: [], content: "" }); renderLore(); });
  $("lore-import").addEventListener("change", async (ev) => {
    const file = ev.target.files[0]; if (!file) return;
    const body = new FormData(); body.append("file", file);
    ev.target.value = "";  // the same file can be chosen again after fixing it
    const r = await api("POST", "/v1/write/lorebook/import", body).catch(() => null);  // api() showed the error
    if (!r) return;
    lore = lore.concat(r.entries); renderLore(); saveDraft();
    toast(`imported ${r.entries.length} entries`);
  });
  $("lore-export").addEventListener("click", () => {
    const blob = new Blob([JSON.stringify({ format: "muselab-lorebook", version: 1, entries: lore }, null, 2)], { type: "application/json" });
    const a = el("a", { href: URL.createObjectURL(blob), download: "lorebook.json" }); a.click();
  });

  // ---- autosave of the draft (this browser) ----
  function readFields() {
    const data = {};
    for (const field of form.querySelectorAll("[name]")) data[field.name] = field.value;
    return data;
  }
  function saveDraft() {
    localStorage.setItem(DRAFT_KEY, JSON.stringify({ fields: readFields(), lore, saved: Date.now() }));
    $("draft-state").textContent = "draft saved · 草稿已保存";
  }
  function loadDraft() {
    try {
      const d = JSON.parse(localStorage.getItem(DRAFT_KEY) || "null"); if (!d) return;
      for (const [k, v] of Object.entries(d.fields || {})) {
        const field = form.elements.namedItem(k);
        if (field && "value" in field) field.value = String(v ?? "");
      }
      lore = Array.isArray(d.lore) ? d.lore : []; renderLore();
      $("draft-state").textContent = "draft restored · 已恢复草稿";
    } catch (_) { /* a broken draft is ignored */ }
  }
  let saveTimer;
  form.addEventListener("input", () => { clearTimeout(saveTimer); saveTimer = setTimeout(saveDraft, 400); });
  $("clear-draft").addEventListener("click", () => { localStorage.removeItem(DRAFT_KEY); form.reset(); lore = []; renderLore(); showForm(); $("draft-state").textContent = ""; });

  // ---- recipe ----
  function recipe() {
    const f = readFields();
    const r = { form: f.form, prompt: f.prompt, model: f.model };
    if (picker.selectedOptions[0].dataset.needs === "text") r.text = f.text;
    // empty fields are left out: the form's and the recipe's defaults apply
    for (const k of ["temperature", "top_p", "top_k", "min_p", "repetition_penalty", "max_tokens", "n", "top_logprobs", "seed"]) {
      if (f[k] !== "" && f[k] !== undefined) r[k] = Number(f[k]);
    }
    if (f.stop) r.stop = f.stop.split(",").map((s) => s.trim()).filter(Boolean);
    const options = (picker.selectedOptions[0].dataset.options || "").split(",");
    for (const k of options) if (k && f[k]) r[k] = f[k];
    const entries = lore.filter((e) => (e.keys || []).length && e.content);
    if (f.memory || f.author_note || entries.length) {
      r.story = { memory: f.memory || "", author_note: f.author_note || "", author_note_depth: Number(f.author_note_depth || 3), lorebook: entries };
    }
    return r;
  }

  // ---- candidates ----
  function card(i) {
    i = Number(i) || 0;
    if (!cards.has(i)) {
      const node = el("article", { class: "candidate", "data-candidate": i },
        el("header", {}, el("span", {}, `candidate ${i + 1}`), el("span", { class: "actions-slot" })),
        el("div", { class: "candidate-text streaming" }), el("div", { class: "footer small muted" }));
      cands.append(node);
      cards.set(i, node);
    }
    return cards.get(i);
  }
  const percent = (logprob) => `${(Math.exp(logprob) * 100).toFixed(1)}%`;
  function tokenNodes(tokens) {
    return tokens.map((t, j) => {
      const p = t.logprob === null ? 1 : Math.exp(t.logprob);
      const tip = (t.top || []).map((a) => `${a.token} ${percent(a.logprob)}`).join("  |  ");
      return el("span", { class: p < 0.5 ? "tok unsure" : "tok", "data-tok": j, title: tip }, t.token);
    });
  }
  async function showWork(workId, i) {
    const w = await api("GET", workApi(workId));
    const meta = w.meta || {};
    const node = card(meta.candidate !== undefined ? meta.candidate : i);
    node.dataset.work = w.id;
    const text = node.querySelector(".candidate-text");
    text.classList.remove("streaming");
    if (meta.tokens && meta.tokens.length) { text.replaceChildren(...tokenNodes(meta.tokens)); node._tokens = meta.tokens; }
    else text.textContent = w.text || "";
    const check = meta.form_check;
    const checkNode = check ? [el("span", { class: check.ok ? "form-check good" : "form-check bad" },
      check.ok ? "✓ form ok · 格律检查通过" : "✗ " + (check.problems || []).join("; ")), " · "] : null;
    node.querySelector(".footer").replaceChildren(el("span", {}, checkNode,
      `${w.model || ""} · seed ${meta.seed} · ${meta.completion_tokens} tokens · ${meta.tokens_per_second} tok/s · `,
      el("a", { href: workUrl(w.id) }, "open")));
    node.querySelector(".actions-slot").replaceChildren(
      el("button", { type: "button", class: "secondary", "data-keep": w.id }, "Keep · 保留"), " ",
      el("button", { type: "button", class: "secondary", "data-discard": w.id }, "Discard · 丢弃"));
  }
  cands.addEventListener("click", async (ev) => {
    const keep = ev.target.closest("[data-keep]"), discard = ev.target.closest("[data-discard]"), tok = ev.target.closest(".tok");
    document.querySelectorAll(".alts").forEach((a) => a.remove());
    if (keep) {
      await api("POST", workApi(keep.dataset.keep, "/star"), { starred: true });
      keep.closest(".candidate").classList.add("kept"); toast("kept · 已保留 (starred in the library)");
    } else if (discard) {
      await api("DELETE", workApi(discard.dataset.discard));
      const node = discard.closest(".candidate"); node.classList.add("discarded");
      node.querySelector(".actions-slot").textContent = "discarded · 已丢弃";
    } else if (tok) {
      const t = tok.closest(".candidate")._tokens[Number(tok.dataset.tok)];
      const rows = (t.top || []).map((a) => el("tr", {}, el("td", {}, JSON.stringify(a.token)), el("td", { class: "p" }, percent(a.logprob))));
      const box = el("div", { class: "alts" }, el("strong", {}, "what else · 其他可能"), el("table", {}, rows));
      const r = tok.getBoundingClientRect();
      box.style.left = `${r.left + window.scrollX}px`; box.style.top = `${r.bottom + window.scrollY + 4}px`;
      document.body.appendChild(box);
    }
  });

  // ---- write, stream, stop ----
  function finish() { $("write-btn").disabled = false; $("cancel-btn").hidden = true; job = null; }
  $("write-btn").addEventListener("click", async () => {
    saveDraft();
    cands.replaceChildren();
    cards.clear();
    status.textContent = "submitting…";
    $("write-btn").disabled = true;
    try { job = await api("POST", "/v1/write", recipe()); }
    catch (e) { status.textContent = "✗ " + e.message; finish(); return; }
    $("cancel-btn").hidden = false;
    status.textContent = "writing… · 写作中";
    Muselab.watch(job.id, (ev) => {
      if (ev.message) status.textContent = ev.message;
      const p = ev.data || {};
      if (ev.type === "progress" && p.texts) p.texts.forEach((t, i) => { card(i).querySelector(".candidate-text").textContent = t; });
      else if (ev.type === "progress" && typeof p.text === "string" && p.candidate !== undefined) card(p.candidate).querySelector(".candidate-text").textContent = p.text;
    }, async (final) => {
      if (final.state === "succeeded") {
        status.textContent = `✓ ${final.work_ids.length} candidate(s) · 已完成 — keep or discard each`;
        for (const [i, id] of final.work_ids.entries()) await showWork(id, i);
      } else {
        status.textContent = `✗ ${final.state}: ${final.error || final.message || ""}`;
        cands.querySelectorAll(".candidate-text").forEach((t) => t.classList.remove("streaming"));
      }
      finish();
    });
  });
  $("cancel-btn").addEventListener("click", async () => {
    if (job) { await api("POST", jobApi(job.id, "/cancel")); status.textContent = "stopping… · 正在停止"; }
  });

  loadDraft();
  showForm();
})();
