"""How a piece of writing is made: form -> prompt (with story tools) -> backend -> n candidates.

Tokens stream through ctx.progress(fraction, message, preview={'text', 'candidate', 'token', ...}),
which also raises Cancelled when the job is cancelled, so a generation stops between two tokens.
Each candidate becomes one text Output carrying its effective seed, statistics, optional token
alternatives and, for classical poems, the result of the form check.
"""

from __future__ import annotations

from typing import Any

from muselab.engines import Context, EngineError, Output
from muselab.models import ModelError
from muselab.text.backends import BackendError, backend_for
from muselab.text.backends.base import Candidate, GenStats, TokenInfo
from muselab.text.forms import Form, FormError, get_form
from muselab.text.poem import FORMS as POEM_FORMS
from muselab.text.poem import check as check_poem
from muselab.text.recipe import LENGTHS, WriteRecipe, detect_language
from muselab.text.sampling import Sampling
from muselab.text.story import assemble

LANG_NAMES = {"en": {"en": "English", "zh": "Chinese"}, "zh": {"en": "英文", "zh": "中文"}}
# forms whose given text may lose its oldest part to fit the window (a story in progress)
TRIMMABLE = {"continue"}


def _input_text(recipe: WriteRecipe, ctx: Context) -> str:
    if recipe.text_work_id:
        path = ctx.input_path(recipe.text_work_id)
        try:
            return path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise EngineError(f"text_work_id {recipe.text_work_id!r} is not UTF-8 text; give a text Work") from None
    return recipe.text or ""


def _values(recipe: WriteRecipe, lang: str, text: str) -> dict[str, Any]:
    n_lines, n_chars = POEM_FORMS[recipe.poem_form]
    target = recipe.target_language or ("en" if detect_language(text) == "zh" else "zh")
    length = LENGTHS[recipe.length][lang] if recipe.length else ""
    if recipe.form == "story" and not length:
        length = LENGTHS["short"][lang]
    hint = ""
    if recipe.length:
        hint = {"short": {"en": " in two or three sentences", "zh": "，两三句话即可"},
                "medium": {"en": " in one paragraph", "zh": "，一段话"},
                "long": {"en": " in several paragraphs", "zh": "，分几段"}}[recipe.length][lang]
    shape = f"{n_lines}句，每句{n_chars}字" if lang == "zh" else f"{n_lines} lines of {n_chars} characters"
    return {
        "prompt": recipe.prompt.strip(), "text": text, "genre": recipe.genre, "characters": recipe.characters,
        "setting": recipe.setting, "length": length, "length_hint": hint, "tone": recipe.tone, "style": recipe.style,
        "audience": recipe.audience, "poem_form": recipe.poem_form, "poem_shape": shape,
        "target_language": target, "target_language_name": LANG_NAMES[lang][target],
    }


class _Prompt:
    """The prompt as the backend gets it: chat messages or raw text, plus notes about its assembly."""

    def __init__(self, messages: list[dict] | None, raw: str | None, meta: dict[str, Any]):
        self.messages, self.raw, self.meta = messages, raw, meta


def build_prompt(recipe: WriteRecipe, form: Form, lang: str, text: str, backend, budget: int) -> _Prompt:
    values = _values(recipe, lang, text)

    def messages_for(context: str, story: str) -> list[dict]:
        v = dict(values, text=story)
        system = form.system[lang] + (f"\n\n{context}" if context else "")
        return [{"role": "system", "content": system}, {"role": "user", "content": form.render(lang, v)}]

    def as_text(msgs: list[dict]) -> str:
        return backend.chat_prompt(msgs) or "\n\n".join(m["content"] for m in msgs)

    if recipe.mode == "complete":
        def render(context: str, story: str) -> str:
            return f"{context}\n\n{story}" if context else story
    else:
        def render(context: str, story: str) -> str:
            return as_text(messages_for(context, story))

    story_text = text if (text or recipe.mode == "complete") else ""
    if recipe.mode == "complete" and not story_text:
        story_text = recipe.prompt
    try:
        asm = assemble(recipe.story, story_text, budget, backend.count_tokens, render, zh=lang == "zh")
    except ValueError as e:
        raise EngineError(str(e)) from None
    if asm.trimmed_chars and recipe.form not in TRIMMABLE and recipe.mode != "complete":
        total = backend.count_tokens(render(asm.context, text))
        raise EngineError(f"the text is too long for the model: prompt and text take about {total} tokens but "
                          f"{budget} fit beside the answer (max_tokens x n): shorten the text, lower max_tokens or n, "
                          "or use a model with a larger window")
    meta = asm.meta()
    if recipe.mode == "complete":
        return _Prompt(None, render(asm.context, asm.story), meta)
    msgs = messages_for(asm.context, asm.story)
    return _Prompt(msgs, None, meta)


def _trained_backend(model: str | None, ctx: Context):
    """A model trained in the studio, named `work:<id>`: read from the library through the context."""
    from muselab.text.backends import trained

    if not model or not model.startswith(trained.PREFIX):
        return None
    work = ctx.input_work(model[len(trained.PREFIX):])
    if work.get("kind") != "model" or work.get("media_type") != trained.MEDIA_TYPE:
        raise EngineError(f"model: work {work.get('id')} is not a language model trained in Muselab "
                          f"(kind {work.get('kind')!r}, {work.get('media_type')!r})")
    try:
        backend = trained.TrainedBackend(ctx.input_path(work["id"]), work.get("title") or model)
        return backend, trained.trained_info(work)
    except BackendError as e:
        raise EngineError(f"model {model!r}: {e}") from None


def run(recipe: WriteRecipe, ctx: Context) -> list[Output]:
    try:
        form = get_form(recipe.form)
    except FormError as e:
        raise EngineError(str(e)) from None
    text = _input_text(recipe, ctx)
    lang = recipe.language if recipe.language != "auto" else detect_language(recipe.prompt, text)
    if form.check == "classical_poem":
        lang = "zh" if recipe.language == "auto" else lang
    try:
        backend, info = _trained_backend(recipe.model, ctx) or backend_for(recipe.model)
    except ModelError as e:
        raise EngineError(str(e)) from None
    if recipe.mode == "chat" and not info.chat:
        raise EngineError(f"model {info.name!r} is a base model without a chat template: use mode 'complete' "
                          "(plain continuation of a text) or pick an instruct model")
    sampling = Sampling.of(recipe, recipe.seed)
    try:
        window = backend.context_length()
        # llama.cpp decodes the n candidates side by side in one window; a remote server and a model
        # trained here write them one after the other, and the trained ones slide their window as they go.
        per_request = {"remote": sampling.max_tokens, "trained": 0}.get(info.kind, sampling.max_tokens * sampling.n)
        budget = window - per_request
        if budget < min(32, window):
            raise EngineError(f"max_tokens ({sampling.max_tokens}) x n ({sampling.n}) leaves no room for the prompt "
                              f"in the model's window of {window} tokens: lower max_tokens or n")
        prompt = build_prompt(recipe, form, lang, text, backend, budget)
        ctx.progress(0.0, f"writing with {info.name}", {"text": "", "candidate": 0, "token": ""})
        cands, stats, checks, attempts = _generate(recipe, form, backend, prompt, sampling, ctx)
    except BackendError as e:
        raise EngineError(f"model {info.name!r}: {e}") from None
    outs = []
    title_base = form.title[lang]
    asked = recipe.prompt.strip() or text.strip()
    subject = asked.splitlines()[0][:60] if asked else ""
    for c in cands:
        if not c.text.strip():
            continue
        meta: dict[str, Any] = {
            "form": form.name, "language": lang, "candidate": c.index, "n": sampling.n,
            "seed": sampling.seed + c.index, "attempts": attempts.get(c.index, 1),
            "finish_reason": c.finish_reason, "prompt_tokens": c.prompt_tokens or stats.prompt_tokens,
            "completion_tokens": c.completion_tokens, "tokens_per_second": round(stats.tokens_per_second, 2),
            "first_token_seconds": round(stats.first_token_seconds or 0.0, 3), "batched": stats.batched,
            "context": prompt.meta, "backend": backend.name,
        }
        if c.index in checks:
            meta["form_check"] = checks[c.index]
            meta["seed"] = checks[c.index]["seed"]
        if c.tokens:
            meta["tokens"] = [t.as_dict() for t in c.tokens]
        title = f"{title_base}: {subject}" if subject else title_base
        if sampling.n > 1:
            title += f" ({c.index + 1}/{sampling.n})"
        outs.append(Output(
            kind="text", media_type="text/plain; charset=utf-8", data=c.text.encode("utf-8"), title=title,
            text=c.text, meta=meta, parents=[recipe.text_work_id] if recipe.text_work_id else [],
            tags=[form.name, lang], model=info.name, model_hash=info.sha256,
            filename=f"{form.name}-{c.index + 1}.txt",
        ))
    if not outs:
        raise EngineError(f"model {info.name!r} wrote nothing (every candidate was empty); try another seed, "
                          "a higher temperature or another model")
    # the last event carries the final texts: the job system keeps progress snapshots only now and then
    final: dict[str, Any] = {"text": outs[0].text, "candidate": outs[0].meta["candidate"], "token": ""}
    if sampling.n > 1:
        final["texts"] = [c.text for c in cands]
    ctx.progress(1.0, f"wrote {len(outs)} candidate(s)", final)
    return outs


def _generate(recipe: WriteRecipe, form: Form, backend, prompt: _Prompt, sampling: Sampling, ctx: Context
              ) -> tuple[list[Candidate], GenStats, dict[int, dict], dict[int, int]]:
    """Generate n candidates; for classical poems check each and regenerate failures when asked."""
    total = sampling.n * sampling.max_tokens
    progress_state = {"tokens": 0}
    previews: dict[int, str] = {}

    def on_token_for(index_map: list[int]):
        def on_token(i: int, piece: str, info: TokenInfo | None) -> None:
            cand = index_map[i]
            previews[cand] = previews.get(cand, "") + piece
            progress_state["tokens"] += 1
            preview: dict[str, Any] = {"text": previews[cand], "candidate": cand, "token": piece}
            if sampling.n > 1:  # the job system keeps a snapshot now and then: give every candidate's text
                preview["texts"] = [previews.get(j, "") for j in range(sampling.n)]
            if info is not None:
                preview["alternatives"] = info.as_dict()
            frac = min(0.99, progress_state["tokens"] / max(1, total))
            ctx.progress(frac, f"candidate {cand + 1}/{sampling.n}", preview)
        return on_token

    cands, stats = backend.generate(sampling, prompt=prompt.raw, messages=prompt.messages,
                                    on_token=on_token_for(list(range(sampling.n))))
    checks: dict[int, dict] = {}
    attempts = {c.index: 1 for c in cands}
    if form.check != "classical_poem" or recipe.form_check == "off":
        return cands, stats, checks, attempts

    def record(c: Candidate, seed: int) -> bool:
        result = check_poem(c.text, recipe.poem_form)
        checks[c.index] = {**result.as_dict(), "seed": seed}
        return result.ok

    failing = [c.index for c in cands if not record(c, sampling.seed + c.index)]
    attempt = 1
    while failing and recipe.form_check == "regenerate" and attempt < recipe.max_attempts:
        # one new try for every failing candidate, with seeds that depend only on the recipe
        for i in failing:
            previews[i] = ""
        ctx.progress(min(0.99, progress_state["tokens"] / max(1, total)),
                     f"form check failed for {len(failing)} candidate(s); "
                     f"trying again ({attempt + 1}/{recipe.max_attempts})")
        retry = Sampling(**{**sampling.__dict__, "n": len(failing),
                            "seed": sampling.seed + 1000 * attempt + failing[0]})
        # the backend seeds candidate j with retry.seed + j; map back to our indexes
        new, st = backend.generate(retry, prompt=prompt.raw, messages=prompt.messages, on_token=on_token_for(failing))
        stats.completion_tokens += st.completion_tokens
        attempt += 1
        still = []
        for j, c in enumerate(new):
            idx = failing[j]
            c.index = idx
            cands[idx] = c
            attempts[idx] = attempt
            if not record(c, retry.seed + j):
                still.append(idx)
        failing = still
    return cands, stats, checks, attempts
