// The Paint page: paint candidates from a prompt, keep or discard them, restore settings from a picture,
// and restyle a photo.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const { api, el, toast, workApi, workUrl, contentUrl } = Muselab;
  const form = $("paint-form");
  const palettes = Object.fromEntries((Muselab.pageData("palettes-data") || []).map((p) => [p.name, p]));
  const FIELDS = ["prompt", "generator", "palette", "mood", "composition", "motif", "title", "subtitle", "width", "height", "n", "seed"];
  const randomSeed = () => Math.floor(Math.random() * 4294967295);
  $("seed").value = randomSeed();
  $("seed-random").addEventListener("click", () => { $("seed").value = randomSeed(); });

  function swatch(color) {
    const node = el("span", { title: color.name });
    node.style.background = color.hex;  // through the CSSOM: a value that isn't a colour is dropped, not parsed as CSS
    return node;
  }
  function showSwatches(name) {
    const p = palettes[name];
    $("swatches").replaceChildren(...(p ? p.colors.map(swatch) : []));
  }
  $("palette").addEventListener("change", () => showSwatches($("palette").value));

  let planTimer;
  $("prompt").addEventListener("input", () => {
    clearTimeout(planTimer);
    planTimer = setTimeout(async () => {
      const plan = await api("GET", "/v1/image/plan?prompt=" + encodeURIComponent($("prompt").value));
      $("plan").textContent = `auto picks: ${plan.generator} · ${plan.palette} · ${plan.mood} · ${plan.composition}` +
        (plan.features.length ? ` · ${plan.features.join(", ")}` : "") + (plan.title ? ` · “${plan.title}”` : "");
      if ($("palette").value === "auto") showSwatches(plan.palette);
    }, 250);
  });

  function recipeFromForm() {
    const data = new FormData(form);
    const recipe = {};
    for (const key of FIELDS) {
      const value = data.get(key);
      if (value === null || value === "") continue;
      recipe[key] = ["width", "height", "n", "seed"].includes(key) ? Number(value) : value;
    }
    return recipe;
  }

  // The live preview is a picture the engine sends as a data: URL; anything else is not shown.
  const isPictureData = (url) => typeof url === "string" && /^data:image\/(png|jpeg|webp);base64,/.test(url);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const recipe = recipeFromForm();
    if (!$("seed-lock").checked && !recipe.seed && recipe.seed !== 0) recipe.seed = randomSeed();
    $("paint-go").disabled = true;
    try {
      const job = await Muselab.submit("image.paint", recipe);
      Muselab.watch(job.id, (ev) => {
        if (ev.fraction != null) $("paint-bar").style.width = `${Math.round(ev.fraction * 100)}%`;
        if (ev.message) $("paint-msg").textContent = ev.message;
        if (ev.data && isPictureData(ev.data.image)) { $("paint-live").src = ev.data.image; $("paint-live").style.display = "block"; }
      }, (final) => {
        $("paint-go").disabled = false;
        if (final.state !== "succeeded") { toast(final.error || final.state, true); return; }
        showCandidates(final.work_ids || []);
        if (!$("seed-lock").checked) $("seed").value = randomSeed();
      });
    } catch (err) { $("paint-go").disabled = false; }
  });

  function candidate(id) {
    return el("div", { class: "candidate", "data-id": id },
      el("a", { href: workUrl(id) }, el("img", { src: contentUrl(id), alt: "" })),
      el("div", { class: "actions" },
        el("button", { type: "button", "data-keep": id }, "Keep ★"), " ",
        el("button", { type: "button", "data-seed": id, title: "use this candidate's settings" }, "Use settings"), " ",
        el("button", { type: "button", "data-discard": id }, "Discard")));
  }
  function showCandidates(ids) { $("candidates").replaceChildren(...ids.map(candidate)); }

  $("candidates").addEventListener("click", async (e) => {
    const t = e.target;
    if (t.dataset.keep) {
      await api("POST", workApi(t.dataset.keep, "/star"), { starred: true });
      t.closest(".candidate").classList.add("kept");
    } else if (t.dataset.discard) {
      await api("DELETE", workApi(t.dataset.discard));
      t.closest(".candidate").remove();
    } else if (t.dataset.seed) {
      const restored = await api("GET", workApi(t.dataset.seed, "/restore"));
      fillForm(restored.recipe || {});
      $("seed-lock").checked = true;
    }
  });

  function fillForm(recipe) {
    for (const key of FIELDS) {
      const field = form.elements[key];
      if (field && recipe[key] !== undefined && recipe[key] !== null) field.value = recipe[key];
    }
    if (recipe.n) form.elements.n.value = 1;
    showSwatches($("palette").value);
  }

  async function restoreFrom(file) {
    const body = new FormData();
    body.append("file", file);
    const info = await api("POST", "/v1/image/info", body);
    if (info.recipe && info.task === "image.paint") {
      fillForm(info.recipe);
      $("seed-lock").checked = true;
      $("restore-msg").textContent = `restored ${info.task} settings (seed ${info.recipe.seed})`;
    } else if (info.parsed) {
      fillForm({ prompt: info.parsed.prompt, seed: info.parsed.seed, width: info.parsed.width, height: info.parsed.height });
      $("restore-msg").textContent = "restored prompt, seed and size from AUTOMATIC1111 parameters";
    } else {
      $("restore-msg").textContent = "this picture carries no recipe or parameters";
    }
  }
  const drop = $("restore-drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) restoreFrom(e.dataTransfer.files[0]); });
  $("restore-file").addEventListener("change", (e) => e.target.files[0] && restoreFrom(e.target.files[0]));

  async function upload(file) {
    const body = new FormData();
    body.append("file", file);
    return api("POST", "/v1/works", body);
  }

  $("style-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const photo = $("style-photo").files[0];
    if (!photo) return;
    const photoWork = await upload(photo);
    const recipe = { photo_work_id: photoWork.id, strength: Number($("style-strength").value), preserve_color: $("style-color").checked };
    if ($("style-picture").files[0]) recipe.style_work_id = (await upload($("style-picture").files[0])).id;
    else recipe.style = $("style-index").value;
    const job = await Muselab.submit("image.style", recipe);
    $("style-before").src = contentUrl(photoWork.id);
    Muselab.watch(job.id, (ev) => {
      if (ev.fraction != null) $("style-bar").style.width = `${Math.round(ev.fraction * 100)}%`;
    }, (final) => {
      if (final.state !== "succeeded") { toast(final.error || final.state, true); return; }
      $("style-after").src = contentUrl(final.work_ids[0]);
      $("before-after").hidden = false;
    });
  });
})();
