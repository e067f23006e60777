// The Video page: import a video (or pick one), find its scenes, click a scene to leave it out, drag to reorder,
// render the chosen ones with transitions; or run auto-cut, highlights or reframe on the whole video.
"use strict";
(() => {
  const { api, el, toast, submit, watch, contentUrl, workUrl, workApi, keepOnPage } = Muselab;
  const $ = (id) => document.getElementById(id);
  const player = $("player"), strip = $("strip"), results = $("results"), status = $("status"), bar = $("progress");
  let video = null;  // the chosen video Work
  let scenes = [];  // [{start, end, thumb, on}] in the order they will be rendered

  for (const form of document.querySelectorAll("form")) keepOnPage(form);

  function setVideo(work) {
    video = work;
    const probe = (work.meta || {}).probe || {};
    player.src = contentUrl(work.id);
    player.hidden = false;
    $("source-info").replaceChildren(el("a", { href: workUrl(work.id) }, work.title || work.id),
      ` · ${probe.width || "?"}×${probe.height || "?"}, ${probe.fps || "?"} fps, ${probe.duration || "?"} s`);
    scenes = [];
    drawStrip();
    for (const button of document.querySelectorAll("#scenes-form button, [data-tool]")) button.disabled = false;
  }

  async function loadLibrary() {
    const list = await api("GET", "/v1/works?kind=video&limit=100");
    $("library-videos").append(...list.items.map((w) => el("option", { value: w.id }, w.title || w.id)));
  }
  $("library-videos").addEventListener("change", async (e) => {
    if (e.target.value) setVideo(await api("GET", workApi(e.target.value)));
  });

  $("import-form").addEventListener("submit", async () => {
    const file = $("video-file").files[0];
    if (!file) return;
    const body = new FormData();
    body.append("file", file);
    status.textContent = `importing ${file.name}…`;
    try {
      setVideo(await api("POST", "/v1/video/import", body));
      status.textContent = "imported";
    } catch (_) { status.textContent = ""; }
  });

  // Run a job with the progress bar; resolve with the Works it made.
  function runJob(task, recipe) {
    bar.hidden = false;
    bar.value = 0;
    return new Promise((resolve, reject) => {
      submit(task, recipe).then((job) => {
        status.textContent = `${task}: queued`;
        watch(job.id, (event) => {
          if (event.fraction !== null && event.fraction !== undefined) bar.value = event.fraction;
          if (event.message) status.textContent = `${task}: ${event.message}`;
        }, async (final) => {
          bar.hidden = true;
          if (final.state !== "succeeded") {
            toast(`${task} ${final.state}: ${final.error || final.message}`, true);
            reject(new Error(final.error || final.state));
            return;
          }
          status.textContent = `${task}: done`;
          resolve(await Promise.all((final.work_ids || []).map((id) => api("GET", workApi(id)))));
        });
      }).catch(reject);
    });
  }

  // ---- scenes: find, leave out, reorder ---------------------------------------------------------
  $("scenes-form").addEventListener("submit", async (e) => {
    const form = e.target;
    const recipe = { video_work_id: video.id, detector: form.detector.value, gradual: form.gradual.checked };
    if (form.min_scene_seconds.value) recipe.min_scene_seconds = Number(form.min_scene_seconds.value);
    const works = await runJob("video.scenes", recipe);
    const listing = works.find((w) => (w.meta || {}).scenes);
    const thumbs = works.filter((w) => w.kind === "image" && (w.meta || {}).scene);
    scenes = ((listing || {}).meta || { scenes: [] }).scenes.map((s, i) => ({
      start: s.start, end: s.end, transition: s.transition,
      thumb: (thumbs.find((t) => t.meta.scene === i + 1) || {}).id, on: true,
    }));
    drawStrip();
    $("render-form").querySelector("button").disabled = scenes.length === 0;
  });

  function drawStrip() {
    strip.replaceChildren(...scenes.map((scene, i) => {
      const card = el("div", { class: "scene" + (scene.on ? "" : " off"), draggable: "true", "data-i": i },
        scene.thumb ? el("img", { src: contentUrl(scene.thumb), alt: `scene ${i + 1}` }) : null,
        el("label", {}, el("input", { type: "checkbox", checked: scene.on, "data-toggle": i }),
          `${scene.start.toFixed(1)}–${scene.end.toFixed(1)} s${scene.transition && scene.transition !== "cut" ? " ~" : ""}`));
      return card;
    }));
  }
  strip.addEventListener("change", (e) => {
    const i = e.target.dataset.toggle;
    if (i !== undefined) { scenes[i].on = e.target.checked; drawStrip(); }
  });
  strip.addEventListener("click", (e) => {  // a click on the picture seeks the player to the scene
    const card = e.target.closest(".scene");
    if (card && e.target.tagName === "IMG") { player.currentTime = scenes[card.dataset.i].start; player.play(); }
  });
  let dragged = null;
  strip.addEventListener("dragstart", (e) => {
    const card = e.target.closest(".scene");
    if (!card) return;
    dragged = Number(card.dataset.i);
    card.classList.add("dragging");
  });
  strip.addEventListener("dragover", (e) => e.preventDefault());
  strip.addEventListener("drop", (e) => {
    e.preventDefault();
    const card = e.target.closest(".scene");
    if (dragged === null || !card) return;
    const [moved] = scenes.splice(dragged, 1);
    scenes.splice(Number(card.dataset.i), 0, moved);
    dragged = null;
    drawStrip();
  });

  $("render-form").addEventListener("submit", async (e) => {
    const chosen = scenes.filter((s) => s.on);
    if (!chosen.length) { toast("choose at least one scene", true); return; }
    const recipe = { shots: chosen.map((s) => ({ work_id: video.id, start: s.start, end: s.end })),
                     transition: e.target.transition.value };
    if (e.target.transition_seconds.value) recipe.transition_seconds = Number(e.target.transition_seconds.value);
    showResults(await runJob("video.assemble", recipe));
  });

  // ---- whole-video tools ------------------------------------------------------------------------
  $("tools-form").addEventListener("click", async (e) => {
    const task = e.target.dataset.tool;
    if (!task || !video) return;
    const form = $("tools-form");
    const recipe = { video_work_id: video.id };
    if (task === "video.highlights" && form.target_seconds.value) recipe.target_seconds = Number(form.target_seconds.value);
    if (task === "video.reframe") recipe.aspect = form.aspect.value;
    showResults(await runJob(task, recipe));
  });

  function showResults(works) {
    for (const w of works.filter((w) => w.kind === "video")) {
      results.prepend(el("div", { class: "result" },
        el("video", { controls: true, preload: "metadata", src: contentUrl(w.id) }),
        el("div", {}, el("a", { href: workUrl(w.id) }, w.title || w.id), ` · ${w.task}`)));
    }
  }

  loadLibrary();
  const wanted = new URLSearchParams(location.search).get("work");
  if (wanted) api("GET", workApi(wanted)).then(setVideo);
})();
