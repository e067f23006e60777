// Muselab web studio: a few plain functions over the HTTP API (/v1). No build step.
// Each page has its own script (page-*.js) built on these; server data reaches it through data- attributes or
// <script type="application/json"> islands, never inline script, so the pages run under a strict CSP.
// Page content from the library (titles, tags, ids, messages) goes into the DOM as text: el() below, or
// textContent; never as HTML. Links to the studio are built from encodeURIComponent'd ids (workUrl...).
// Domain pages use Muselab.submit(task, recipe) and Muselab.watch(jobId, onEvent, onEnd).
"use strict";

const Muselab = (() => {
  // Escapes text for HTML, in element content and in quoted attributes alike (kept for pages that build HTML).
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const enc = encodeURIComponent;

  // el("a", { class: "title", href: workUrl(id) }, "text", otherNode, [more]): an element whose strings are
  // text, never markup. Attributes are set one by one, so no value can open another attribute or element;
  // URL attributes must still come from the *Url helpers (an attribute can't stop "javascript:" by itself).
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // Server data given to a page as <script type="application/json" id="...">{{ x | tojson }}</script>.
  const pageData = (id) => JSON.parse(document.getElementById(id)?.textContent || "null");

  function toast(message, isError = false) {
    const node = el("div", { class: "toast" + (isError ? " error" : "") }, message);
    document.body.appendChild(node);
    setTimeout(() => node.remove(), isError ? 6000 : 2500);
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

  // Paths in this studio, from ids that may hold anything (an id is one path segment, whatever it says).
  const workUrl = (id) => `/works/${enc(id)}`;
  const workApi = (id, rest = "") => `/v1/works/${enc(id)}${rest}`;
  const contentUrl = (id) => workApi(id, "/content");
  const downloadUrl = (id) => workApi(id, "/content?download=true");
  const thumbnailUrl = (id) => workApi(id, "/thumbnail");
  const jobApi = (id, rest = "") => `/v1/jobs/${enc(id)}${rest}`;

  // Follow a job's Server-Sent Events; onEvent gets every event, onEnd the final job.
  function watch(jobId, onEvent, onEnd) {
    const source = new EventSource(jobApi(jobId, "/events"));
    for (const type of ["state", "progress", "work"]) {
      source.addEventListener(type, (e) => onEvent && onEvent(JSON.parse(e.data)));
    }
    source.addEventListener("end", (e) => { source.close(); onEnd && onEnd(JSON.parse(e.data)); });
    source.onerror = () => { /* the browser reconnects by itself, resuming from the last event id */ };
    return source;
  }

  // A form whose fields are read by script: Enter must not send it to the server as a page request.
  const keepOnPage = (form) => form && form.addEventListener("submit", (e) => e.preventDefault());

  // ---- cards ---------------------------------------------------------------------------------
  const ICONS = { midi: "♫", audio: "♪", score: "♬", model: "◈", corpus: "☰", video: "▶", data: "{}", file: "▢", text: "✎", image: "▣" };

  function workCard(w) {
    let inner;
    if (w.has_thumbnail) inner = el("img", { loading: "lazy", src: thumbnailUrl(w.id), alt: "" });
    else if (w.snippet) inner = el("div", { class: "snippet" }, w.snippet);
    else inner = el("span", { class: "icon" }, ICONS[w.kind] || "▢");
    const created = String(w.created_at || "").slice(0, 16).replace("T", " ");
    return el("div", { class: "card", "data-id": w.id },
      el("a", { class: "thumb", href: workUrl(w.id) }, inner),
      el("div", { class: "body" },
        el("a", { class: "title", href: workUrl(w.id), title: w.title || "" }, w.title || "(untitled)"),
        el("button", { type: "button", class: w.starred ? "star on" : "star", "data-star": w.id, title: "star" }, "★")),
      el("div", { class: "sub" }, `${w.kind} · ${created}`,
        w.status !== "ok" ? [" ", el("span", { class: "badge warn" }, w.status)] : null,
        " ", (w.tags || []).map((t) => el("span", { class: "tag" }, t))));
  }

  function bindStars(root) {
    root?.addEventListener("click", async (e) => {
      const button = e.target.closest("[data-star]");
      if (!button) return;
      const on = !button.classList.contains("on");
      await api("POST", workApi(button.dataset.star, "/star"), { starred: on });
      button.classList.toggle("on", on);
    });
  }

  async function queueStatus() {
    const node = document.getElementById("queue-status");
    if (!node) return;
    try {
      const [running, queued] = await Promise.all([
        fetch("/v1/jobs?state=running&limit=1").then((r) => r.json()),
        fetch("/v1/jobs?state=queued&limit=1").then((r) => r.json()),
      ]);
      node.textContent = `${running.total} running · ${queued.total} queued${running.paused ? " · paused" : ""}`;
    } catch (_) { node.textContent = ""; }
  }
  document.addEventListener("DOMContentLoaded", () => { queueStatus(); setInterval(queueStatus, 5000); });

  return { api, submit, watch, toast, esc, el, pageData, keepOnPage, workCard, bindStars, queueStatus,
           workUrl, workApi, contentUrl, downloadUrl, thumbnailUrl, jobApi, ICONS };
})();
window.Muselab = Muselab;
