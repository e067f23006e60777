"""llama.cpp backend (llama-cpp-python): GGUF models in this process, on the CPU.

One model is kept loaded per process (loading takes seconds); a lock serialises its use,
since the studio's job pool runs jobs in threads. Weights are read fully into memory
(use_mmap=False: memory-mapped weights were seen to slow generation 10x on these machines).

Generation uses llama.cpp's own sampler chain (penalties -> top_k -> top_p -> min_p ->
temperature -> seeded draw), so a fixed seed gives the same text again. Several candidates
are decoded together in one batch: the prompt is evaluated once and shared by all
sequences in the KV cache, then each step decodes one token of every live candidate.
"""

from __future__ import annotations

import codecs
import ctypes
import os
import threading
import time
from dataclasses import dataclass

import numpy as np

from muselab.text.backends.base import BackendError, Candidate, GenStats, OnToken, TokenInfo
from muselab.text.sampling import MAX_N, Sampling

DEFAULT_CTX = 4096
PENALTY_LAST_N = 64


def default_threads() -> int:
    """MUSELAB_TEXT_THREADS, else half the logical CPUs (about the physical cores), at most 8.

    llama.cpp's threads spin while they wait for each other: with more threads than free cores
    (hyper-threads, or other work on the machine) generation was measured 10x slower than with one.
    """
    env = os.environ.get("MUSELAB_TEXT_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min((os.cpu_count() or 2) // 2, 8))


def default_ctx() -> int:
    return int(os.environ.get("MUSELAB_TEXT_CTX", DEFAULT_CTX))


def _llama_cpp():
    try:
        import llama_cpp
        import llama_cpp._internals as internals
    except ImportError as e:  # pragma: no cover - depends on the install
        raise BackendError("the llama.cpp backend needs llama-cpp-python: pip install 'muselab[text]'") from e
    return llama_cpp, internals


@dataclass(frozen=True)
class _Key:
    path: str
    n_ctx: int
    n_threads: int
    n_batch: int


class LoadedModel:
    """A GGUF model with a context able to hold MAX_N sequences."""

    def __init__(self, path: str, n_ctx: int, n_threads: int):
        llama_cpp, internals = _llama_cpp()
        import llama_cpp._logger as llama_logger

        llama_logger.set_verbose(False)
        self.path = path
        mparams = llama_cpp.llama_model_default_params()
        mparams.use_mmap = False
        try:
            self.model = internals.LlamaModel(path_model=path, params=mparams, verbose=False)
        except ValueError as e:
            raise BackendError(f"llama.cpp could not load {os.path.basename(path)}: {e} "
                               "(corrupt or unsupported GGUF)") from None
        n_ctx = min(n_ctx, self.model.n_ctx_train()) if self.model.n_ctx_train() > 0 else n_ctx
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = n_ctx
        # prompts are decoded in chunks of n_batch tokens (llama.cpp caps it at the window)
        batch = max(8, int(os.environ.get("MUSELAB_TEXT_BATCH", "512")))
        cparams.n_batch = min(batch, n_ctx)
        cparams.n_ubatch = min(batch, n_ctx)
        cparams.n_seq_max = MAX_N
        cparams.kv_unified = True  # candidates share the prompt's cells
        cparams.n_threads = n_threads
        cparams.n_threads_batch = n_threads
        cparams.no_perf = True
        self.ctx = internals.LlamaContext(model=self.model, params=cparams, verbose=False)
        self.n_ctx = self.ctx.n_ctx()
        self.n_batch = int(llama_cpp.llama_n_batch(self.ctx.ctx))
        self.batch = internals.LlamaBatch(n_tokens=max(self.n_batch, MAX_N), embd=0, n_seq_max=MAX_N, verbose=False)
        self.vocab = self.model.vocab
        self.n_vocab = self.model.n_vocab()
        self.metadata = self.model.metadata()
        self._pieces: dict[int, bytes] = {}
        self._llama_cpp = llama_cpp
        self._internals = internals

    # ---- tokens ----
    def tokenize(self, text: str, add_bos: bool | None = None, special: bool = True) -> list[int]:
        if add_bos is None:
            add_bos = self.model.add_bos_token()
        return self.model.tokenize(text.encode("utf-8"), add_bos, special)

    def piece(self, token: int) -> bytes:
        p = self._pieces.get(token)
        if p is None:
            buf = ctypes.create_string_buffer(64)
            n = self._llama_cpp.llama_token_to_piece(self.vocab, token, buf, 64, 0, False)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = self._llama_cpp.llama_token_to_piece(self.vocab, token, buf, -n, 0, False)
            p = buf.raw[:n]
            self._pieces[token] = p
        return p

    def is_eog(self, token: int) -> bool:
        return bool(self._llama_cpp.llama_vocab_is_eog(self.vocab, token))

    # ---- chat ----
    def chat_prompt(self, messages: list[dict]) -> str:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.metadata.get("tokenizer.chat_template")
        if not template:
            raise BackendError(f"{os.path.basename(self.path)} has no chat template (a base model): "
                               "use it for plain continuation (form 'continue' with mode 'complete')")
        bos = self.piece(self.model.token_bos()).decode("utf-8", "ignore") if self.model.token_bos() >= 0 else ""
        eos = self.piece(self.model.token_eos()).decode("utf-8", "ignore") if self.model.token_eos() >= 0 else ""
        fmt = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, add_generation_prompt=True)
        prompt = fmt(messages=messages).prompt
        # templates that write the BOS text themselves would get it twice once tokenize adds it
        if bos and prompt.startswith(bos) and self.model.add_bos_token():
            prompt = prompt[len(bos):]
        return prompt

    # ---- sampling ----
    def _sampler(self, s: Sampling, seed: int):
        smp = self._internals.LlamaSampler()
        if s.repetition_penalty != 1.0:
            smp.add_penalties(n_vocab=self.n_vocab, penalty_last_n=PENALTY_LAST_N, penalty_repeat=s.repetition_penalty,
                              penalty_freq=0.0, penalty_present=0.0)
        if s.temperature <= 0:
            smp.add_greedy()
            return smp
        if s.top_k > 0:
            smp.add_top_k(s.top_k)
        if s.top_p < 1.0:
            smp.add_top_p(s.top_p, 1)
        if s.min_p > 0:
            smp.add_min_p(s.min_p, 1)
        smp.add_temp(s.temperature)
        smp.add_dist(seed & 0xFFFFFFFF)
        return smp

    def _alternatives(self, idx: int, chosen: int, k: int) -> TokenInfo:
        ptr = self._llama_cpp.llama_get_logits_ith(self.ctx.ctx, idx)
        logits = np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).astype(np.float64)
        m = logits.max()
        logz = m + np.log(np.exp(logits - m).sum())
        top = np.argpartition(-logits, k)[:k] if k < self.n_vocab else np.arange(self.n_vocab)
        top = top[np.argsort(-logits[top])]
        alts = [(self.piece(int(t)).decode("utf-8", "replace"), float(logits[t] - logz)) for t in top]
        return TokenInfo(text="", logprob=float(logits[chosen] - logz), top=alts)

    # ---- generation ----
    def generate(self, prompt: str, s: Sampling, on_token: OnToken | None = None) -> tuple[list[Candidate], GenStats]:
        lc = self._llama_cpp
        t0 = time.perf_counter()
        tokens = self.tokenize(prompt)
        if not tokens:
            raise BackendError("the prompt is empty")
        n = s.n
        need = len(tokens) + n * s.max_tokens
        if need > self.n_ctx:
            room = (self.n_ctx - len(tokens)) // n
            if room < 1:
                raise BackendError(f"the prompt is {len(tokens)} tokens but the model's window holds {self.n_ctx}: "
                                   "shorten the prompt (or raise MUSELAB_TEXT_CTX)")
            raise BackendError(f"prompt ({len(tokens)} tokens) + n={n} x max_tokens={s.max_tokens} needs {need} tokens "
                               f"but the model's window holds {self.n_ctx}: lower max_tokens to {room} or less, "
                               "lower n, or shorten the prompt")
        self.ctx.kv_cache_clear()
        batch = self.batch.batch
        # prompt, in chunks of the batch size, on sequence 0 (shared afterwards)
        step = self.n_batch
        for start in range(0, len(tokens), step):
            chunk = tokens[start:start + step]
            batch.n_tokens = len(chunk)
            for i, tok in enumerate(chunk):
                batch.token[i] = tok
                batch.pos[i] = start + i
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = 0
                batch.logits[i] = False
            batch.logits[len(chunk) - 1] = True
            self._decode()
        prompt_seconds = time.perf_counter() - t0
        for seq in range(1, n):
            lc.llama_memory_seq_cp(self.ctx.memory, 0, seq, -1, -1)

        samplers = [self._sampler(s, s.seed + i) for i in range(n)]
        decoders = [codecs.getincrementaldecoder("utf-8")(errors="replace") for _ in range(n)]
        cands = [Candidate(index=i, prompt_tokens=len(tokens)) for i in range(n)]
        emitted = [0] * n  # characters of text already passed to on_token
        live = list(range(n))
        logit_idx = {i: (len(tokens) - 1) % step for i in range(n)}
        pos = len(tokens)
        stats = GenStats(prompt_tokens=len(tokens), prompt_seconds=prompt_seconds, batched=n > 1)
        max_stop = max((len(x) for x in s.stop), default=0)
        try:
            while live:
                new_tokens: dict[int, int] = {}
                for i in live:
                    tok = samplers[i].sample(self.ctx, logit_idx[i])
                    c = cands[i]
                    info = self._alternatives(logit_idx[i], tok, s.top_logprobs) if s.top_logprobs else None
                    if stats.first_token_seconds is None:
                        stats.first_token_seconds = time.perf_counter() - t0
                    if self.is_eog(tok):
                        c.finish_reason = "stop"
                        new_text = decoders[i].decode(b"", final=True)
                        c.text += new_text
                        self._flush(c, emitted, on_token, final=True, info=None, max_stop=max_stop, stop=s.stop)
                        continue
                    c.completion_tokens += 1
                    piece = decoders[i].decode(self.piece(tok))
                    c.text += piece
                    if info is not None:
                        info.text = self.piece(tok).decode("utf-8", "replace")
                        c.tokens.append(info)
                    stopped = self._check_stop(c, s.stop)
                    done = stopped or c.completion_tokens >= s.max_tokens
                    if stopped:
                        c.finish_reason = "stop"
                    self._flush(c, emitted, on_token, final=done, info=info, max_stop=max_stop, stop=s.stop)
                    if not done:
                        new_tokens[i] = tok
                live = list(new_tokens)
                if not live:
                    break
                batch.n_tokens = len(live)
                for j, i in enumerate(live):
                    batch.token[j] = new_tokens[i]
                    batch.pos[j] = pos
                    batch.n_seq_id[j] = 1
                    batch.seq_id[j][0] = i
                    batch.logits[j] = True
                    logit_idx[i] = j
                pos += 1
                self._decode()
        finally:
            for smp in samplers:
                smp.close()
        stats.seconds = time.perf_counter() - t0
        stats.completion_tokens = sum(c.completion_tokens for c in cands)
        return cands, stats

    def _decode(self) -> None:
        try:
            self.ctx.decode(self.batch)
        except RuntimeError as e:  # e.g. no room left in the KV cache
            raise BackendError(f"llama.cpp could not evaluate the tokens ({e}); try a shorter prompt, "
                               "fewer candidates or a larger MUSELAB_TEXT_CTX") from None

    @staticmethod
    def _check_stop(c: Candidate, stop: list[str]) -> bool:
        if not stop:
            return False
        hits = [c.text.find(x) for x in stop if x in c.text]
        if not hits:
            return False
        c.text = c.text[: min(hits)]
        return True

    @staticmethod
    def _flush(c: Candidate, emitted: list[int], on_token: OnToken | None, final: bool, info, max_stop: int,
               stop: list[str]) -> None:
        """Pass on the text that can no longer turn into a stop string."""
        if on_token is None:
            return
        safe = len(c.text)
        if not final and max_stop:
            # hold back a tail that is the start of a stop string
            for k in range(min(max_stop - 1, len(c.text)), 0, -1):
                tail = c.text[-k:]
                if any(x.startswith(tail) for x in stop):
                    safe = len(c.text) - k
                    break
        if safe > emitted[c.index] or final or info is not None:
            new = c.text[emitted[c.index]:safe]
            emitted[c.index] = max(emitted[c.index], safe)
            on_token(c.index, new, info)


_lock = threading.Lock()  # held while a model is loaded or used
_loaded: tuple[_Key, LoadedModel] | None = None


class ModelSession:
    """`with ModelSession(path) as m:` gives the process's loaded model, loading it if needed."""

    def __init__(self, path: str, n_ctx: int | None = None, n_threads: int | None = None):
        self.key = _Key(str(path), n_ctx or default_ctx(), n_threads or default_threads(),
                        int(os.environ.get("MUSELAB_TEXT_BATCH", "512")))

    def __enter__(self) -> LoadedModel:
        global _loaded
        _lock.acquire()
        try:
            if _loaded is None or _loaded[0] != self.key:
                _loaded = None  # free the previous model first
                _loaded = (self.key, LoadedModel(self.key.path, self.key.n_ctx, self.key.n_threads))
            return _loaded[1]
        except BaseException:
            _lock.release()
            raise

    def __exit__(self, *exc) -> None:
        _lock.release()


def unload() -> None:
    global _loaded
    with _lock:
        _loaded = None


class LlamaCppBackend:
    """A local GGUF model behind the common backend interface."""

    name = "llama.cpp"

    def __init__(self, path: str, n_ctx: int | None = None, n_threads: int | None = None):
        self.session = ModelSession(path, n_ctx, n_threads)

    def context_length(self) -> int:
        with self.session as m:
            return m.n_ctx

    def count_tokens(self, text: str) -> int:
        with self.session as m:
            return len(m.tokenize(text, add_bos=False))

    def chat_prompt(self, messages: list[dict]) -> str:
        with self.session as m:
            return m.chat_prompt(messages)

    def generate(self, sampling: Sampling, prompt: str | None = None, messages: list[dict] | None = None,
                 on_token: OnToken | None = None) -> tuple[list[Candidate], GenStats]:
        with self.session as m:
            if prompt is None:
                if messages is None:
                    raise BackendError("give a prompt or messages")
                prompt = m.chat_prompt(messages)
            return m.generate(prompt, sampling, on_token)
