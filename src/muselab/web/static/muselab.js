// Muselab web studio: a few plain functions over the HTTP API (/v1). No build step.
// Domain pages use Muselab.submit(task, recipe) and Muselab.watch(jobId, onEvent, onEnd).
"use strict";

const Muselab = (() => {
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

  function toast(message, isError = false) {
    const el = document.createElement("div");
    el.className = "toast" + (isError ? " error" : "");
    el.textContent = message;
    document.body.appendChild(el);
    setTimeout(() => el.remove(), isError ? 6000 : 2500);
  }

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    if (response.status === 401) { window.location = "/login"; throw new Error("unauthorized"); }
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = data.message || response.statusText;
      toast(message, true);
      const error = new Error(message);
      error.field = data.field;
      throw error;
    }
    return data;
  }

  const submit = (task, recipe, extra = {}) => api("POST", "/v1/jobs", { task, recipe, ...extra });

  // Follow a job's Server-Sent Events; onEvent gets every event, onEnd the final job.
  function watch(jobId, onEvent, onEnd) {
    const source = new EventSource(`/v1/jobs/${jobId}/events`);
    for (const type of ["state", "progress", "work"]) {
      source.addEventListener(type, (e) => onEvent && onEvent(JSON.parse(e.data)));
    }
    source.addEventListener("end", (e) => { source.close(); onEnd && onEnd(JSON.parse(e.data)); });
    source.onerror = () => { /* the browser reconnects by itself, resuming from the last event id */ };
    return source;
  }

  const workUrl = (id) => `/works/${id}`;
  const contentUrl = (id) => `/v1/works/${id}/content`;

  // ---- cards ---------------------------------------------------------------------------------
  const ICONS = { midi: "♫", audio: "♪", score: "𝄞", model: "◈", corpus: "☰", video: "▶", data: "{}", file: "▢", text: "✎", image: "▣" };

  function workCard(w) {
    let inner;
    if (w.has_thumbnail) inner = `<img loading="lazy" src="/v1/works/${w.id}/thumbnail" alt="">`;
    else if (w.snippet) inner = `<div class="snippet">${esc(w.snippet)}</div>`;
    else inner = `<span class="icon">${ICONS[w.kind] || "▢"}</span>`;
    const status = w.status !== "ok" ? ` <span class="badge warn">${esc(w.status)}</span>` : "";
    return `<div class="card" data-id="${w.id}">
      <a class="thumb" href="${workUrl(w.id)}">${inner}</a>
      <div class="body"><a class="title" href="${workUrl(w.id)}" title="${esc(w.title)}">${esc(w.title || "(untitled)")}</a>
        <button type="button" class="star ${w.starred ? "on" : ""}" data-star="${w.id}" title="star">★</button></div>
      <div class="sub">${esc(w.kind)} · ${esc((w.created_at || "").slice(0, 16).replace("T", " "))}${status}
        ${(w.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join("")}</div>
    </div>`;
  }

  function bindStars(root) {
    root.addEventListener("click", async (e) => {
      const button = e.target.closest("[data-star]");
      if (!button) return;
      const on = !button.classList.contains("on");
      await api("POST", `/v1/works/${button.dataset.star}/star`, { starred: on });
      button.classList.toggle("on", on);
    });
  }

  // ---- pages ---------------------------------------------------------------------------------
  function libraryPage() {
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
      const html = data.items.map(workCard).join("");
      grid.innerHTML = append ? grid.innerHTML + html : (html || `<p class="muted">Nothing here yet. Make something from one of the studio pages, or try the demo engine on the Jobs page.</p>`);
      count.textContent = `${data.total} work${data.total === 1 ? "" : "s"}`;
      more.hidden = offset >= data.total;
    }
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => load(), 200); });
    more.addEventListener("click", () => load(true));
    document.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => {
      document.querySelectorAll("[data-view]").forEach((x) => x.classList.toggle("active", x === b));
      grid.className = "works " + b.dataset.view;
    }));
    bindStars(grid);
    load();
  }

  function workPage(id) {
    bindStars(document.querySelector(".actions"));
    const again = async (how) => {
      const r = await api("GET", `/v1/works/${id}/${how}`);
      const job = await submit(r.task, r.recipe);
      toast(`Submitted job ${job.id}`);
      window.location = "/jobs";
    };
    document.querySelector("[data-restore]")?.addEventListener("click", () => again("restore"));
    document.querySelector("[data-remix]")?.addEventListener("click", () => again("remix"));
    document.querySelector("[data-delete]")?.addEventListener("click", async () => {
      if (!confirm("Delete this work? Its file goes too unless another work shares it.")) return;
      await api("DELETE", `/v1/works/${id}`);
      window.location = "/";
    });
    document.getElementById("tag-form")?.addEventListener("submit", async (e) => {
      e.preventDefault();
      const tag = e.target.tag.value.trim();
      if (!tag) return;
      const w = await api("POST", `/v1/works/${id}/tags`, { add: [tag] });
      document.getElementById("tags").innerHTML = w.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join("");
      e.target.reset();
    });
    document.getElementById("board-form")?.addEventListener("submit", async (e) => {
      e.preventDefault();
      const board = e.target.board.value.trim();
      if (!board) return;
      await api("POST", `/v1/boards/${encodeURIComponent(board)}/works`, { ids: [id] });
      window.location.reload();
    });
  }

  function jobRow(job) {
    const pct = Math.round((job.progress || 0) * 100);
    const cancellable = job.state === "queued" || job.state === "running";
    const works = (job.work_ids || []).map((w) => `<a href="${workUrl(w)}">${w.slice(-6)}</a>`).join(" ");
    return `<tr id="job-${job.id}" data-state="${job.state}">
      <td class="mono small">${job.id}</td><td>${esc(job.task)}</td>
      <td><span class="state ${job.state}">${job.state}</span></td>
      <td><div class="bar ${job.state}"><span style="width:${pct}%"></span></div>
        <div class="msg"><span class="pct">${pct}%</span> · <span class="text">${esc(job.error || job.message || "")}</span> ${works}</div></td>
      <td class="small">${esc((job.created_at || "").slice(0, 19).replace("T", " "))}</td>
      <td>${cancellable ? `<button type="button" class="secondary" data-cancel="${job.id}">Cancel</button>` : ""}</td></tr>`;
  }

  function jobsPage() {
    const body = document.getElementById("jobs-body");
    const pause = document.getElementById("pause-toggle");
    const watching = new Map();

    function follow(job) {
      if (watching.has(job.id) || !["queued", "running"].includes(job.state)) return;
      watching.set(job.id, watch(job.id, (ev) => {
        const row = document.getElementById(`job-${job.id}`);
        if (!row) return;
        if (ev.fraction !== null && ev.fraction !== undefined) {
          const pct = Math.round(ev.fraction * 100);
          row.querySelector(".bar span").style.width = pct + "%";
          row.querySelector(".pct").textContent = pct + "%";
        }
        row.querySelector(".text").textContent = ev.message || "";
        if (ev.type === "state") {
          const state = row.querySelector(".state");
          state.className = "state " + ev.data.state;
          state.textContent = ev.data.state;
        }
      }, async (final) => {
        watching.delete(job.id);
        const row = document.getElementById(`job-${job.id}`);
        if (row) row.outerHTML = jobRow(final);
      }));
    }

    async function load() {
      const data = await api("GET", "/v1/jobs?limit=100");
      body.innerHTML = data.items.map(jobRow).join("") || `<tr><td colspan="6" class="muted">No jobs yet.</td></tr>`;
      data.items.forEach(follow);
      pause.textContent = data.paused ? "Resume queue" : "Pause queue";
      pause.dataset.paused = data.paused ? "1" : "0";
    }

    body.addEventListener("click", async (e) => {
      const b = e.target.closest("[data-cancel]");
      if (b) { await api("POST", `/v1/jobs/${b.dataset.cancel}/cancel`); toast("Cancel requested"); }
    });
    pause.addEventListener("click", async () => {
      await api("POST", pause.dataset.paused === "1" ? "/v1/queue/resume" : "/v1/queue/pause");
      load();
    });
    document.getElementById("demo-form")?.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = e.target;
      const job = await submit("demo.text", { prompt: f.prompt.value, steps: Number(f.steps.value), step_seconds: Number(f.step_seconds.value) });
      body.insertAdjacentHTML("afterbegin", jobRow(job));
      follow(job);
    });
    load();
    setInterval(async () => {  // pick up jobs submitted elsewhere (CLI, API)
      const data = await api("GET", "/v1/jobs?limit=20").catch(() => null);
      if (!data) return;
      for (const job of data.items.reverse()) {
        if (!document.getElementById(`job-${job.id}`)) { body.insertAdjacentHTML("afterbegin", jobRow(job)); follow(job); }
      }
    }, 3000);
  }

  async function queueStatus() {
    const el = document.getElementById("queue-status");
    if (!el) return;
    try {
      const [running, queued] = await Promise.all([
        fetch("/v1/jobs?state=running&limit=1").then((r) => r.json()),
        fetch("/v1/jobs?state=queued&limit=1").then((r) => r.json()),
      ]);
      el.textContent = `${running.total} running · ${queued.total} queued${running.paused ? " · paused" : ""}`;
    } catch (_) { el.textContent = ""; }
  }
  document.addEventListener("DOMContentLoaded", () => { queueStatus(); setInterval(queueStatus, 5000); });

  return { api, submit, watch, toast, esc, workCard, workUrl, contentUrl, bindStars, libraryPage, workPage, jobsPage };
})();
window.Muselab = Muselab;
