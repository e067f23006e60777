// The Jobs page: every job with a live progress bar; cancel, pause the queue, try the demo engine.
"use strict";
(() => {
  const { api, el, toast, watch, workUrl, jobApi } = Muselab;
  const body = document.getElementById("jobs-body");
  const pause = document.getElementById("pause-toggle");
  const watching = new Map();

  function jobRow(job) {
    const pct = Math.round((job.progress || 0) * 100);
    const cancellable = job.state === "queued" || job.state === "running";
    const works = (job.work_ids || []).map((w) => [el("a", { href: workUrl(w) }, String(w).slice(-6)), " "]);
    const fill = el("span");
    fill.style.width = `${pct}%`;
    return el("tr", { id: `job-${job.id}`, "data-state": job.state },
      el("td", { class: "mono small" }, job.id),
      el("td", {}, job.task),
      el("td", {}, el("span", { class: `state ${job.state}` }, job.state)),
      el("td", {}, el("div", { class: `bar ${job.state}` }, fill),
        el("div", { class: "msg" }, el("span", { class: "pct" }, `${pct}%`), " · ",
          el("span", { class: "text" }, job.error || job.message || ""), " ", works)),
      el("td", { class: "small" }, String(job.created_at || "").slice(0, 19).replace("T", " ")),
      el("td", {}, cancellable ? el("button", { type: "button", class: "secondary", "data-cancel": job.id }, "Cancel") : null));
  }

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
        Muselab.queueStatus();  // keep the top bar's running / queued count in step with the rows
      }
    }, async (final) => {
      watching.delete(job.id);
      Muselab.queueStatus();
      document.getElementById(`job-${job.id}`)?.replaceWith(jobRow(final));
    }));
  }

  async function load() {
    const data = await api("GET", "/v1/jobs?limit=100");
    const rows = data.items.map(jobRow);
    body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No jobs yet."))]));
    data.items.forEach(follow);
    pause.textContent = data.paused ? "Resume queue" : "Pause queue";
    pause.dataset.paused = data.paused ? "1" : "0";
  }

  body.addEventListener("click", async (e) => {
    const b = e.target.closest("[data-cancel]");
    if (b) { await api("POST", jobApi(b.dataset.cancel, "/cancel")); toast("Cancel requested"); }
  });
  pause.addEventListener("click", async () => {
    await api("POST", pause.dataset.paused === "1" ? "/v1/queue/resume" : "/v1/queue/pause");
    load();
  });
  document.getElementById("demo-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    const job = await Muselab.submit("demo.text", { prompt: f.prompt.value, steps: Number(f.steps.value), step_seconds: Number(f.step_seconds.value) });
    body.prepend(jobRow(job));
    follow(job);
  });
  load();
  setInterval(async () => {  // pick up jobs submitted elsewhere (CLI, API)
    const data = await api("GET", "/v1/jobs?limit=20").catch(() => null);
    if (!data) return;
    for (const job of data.items.reverse()) {
      if (!document.getElementById(`job-${job.id}`)) { body.prepend(jobRow(job)); follow(job); }
    }
  }, 3000);
})();
