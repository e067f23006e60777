"""The learned generators at work: sample a melody (or a primer's continuation) from the shipped Markov or
LSTM model, in a given key and mode, then harmonize it for the score and piano roll."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path

from muselab.engines import Context, EngineError
from muselab.music.corpus import INDEX, PITCH_HIGH, PITCH_LOW, decode, encode
from muselab.music.score import Note, Piece, Track
from muselab.music.theory import Scale, bar_beats

CHECKPOINTS = Path(__file__).parent / "checkpoints"
MARKOV = CHECKPOINTS / "markov.json"


@lru_cache(maxsize=1)
def markov_model():
    from muselab.music.markov import MarkovModel

    if not MARKOV.is_file():
        raise EngineError(f"generator: the Markov model {MARKOV} is missing; run python -m muselab.music.train_melody")
    return MarkovModel.load(MARKOV)


@lru_cache(maxsize=1)
def neural_model():
    from muselab.music import neural

    try:
        return neural.load()
    except (FileNotFoundError, ValueError) as exc:
        raise EngineError(f"generator: {exc}") from None


def allowed_pitch_tokens(scale: Scale) -> list[int]:
    """Pitch tokens (in the model's tonic-on-C space) that belong to the mode, plus the rest token."""
    steps = set(scale.steps)
    return [INDEX[f"p{p}"] for p in range(PITCH_LOW, PITCH_HIGH + 1) if p % 12 in steps] + [INDEX["rest"]]


def generate(generator: str, primer: list[Note], scale: Scale, time_signature: str, bars: int, rng: random.Random,
             temperature: float, top_k: int, style: str, ctx: Context | None = None) -> tuple[list[Note], dict]:
    """New notes after `primer` (may be empty), filling `bars` bars, in `scale`."""
    bar = bar_beats(time_signature)
    shift = -scale.tonic if scale.tonic <= 6 else 12 - scale.tonic  # move the tonic to C (nearest octave)
    pairs: list[tuple[int | None, float]] = []
    cursor = 0.0
    for n in primer:
        if n.start > cursor + 1e-6:
            pairs.append((None, n.start - cursor))
        pairs.append((n.pitch, n.duration))
        cursor = n.start + n.duration
    context = encode(pairs, style, shift=shift, close=False)
    start = -(-round(cursor, 6) // bar) * bar if primer else 0.0
    if primer and start > cursor + 1e-6:  # rest to the bar line so the continuation starts on a downbeat
        context += encode([(None, start - cursor)], style, shift=0, close=False)[2:]
    target = start + bars * bar
    allowed = allowed_pitch_tokens(scale)
    tokens: list[int] = []
    total = start
    rounds = 0
    while total < target - 1e-6 and rounds < 50:
        rounds += 1
        if ctx is not None:
            ctx.progress(min(0.9, (total - start) / max(target - start, 1e-6)), f"sampling ({generator})")
        steps = 32
        if generator == "markov":
            new = markov_model().sample(context + tokens, rng, temperature, steps, stop_at_eos=False, top_k=top_k,
                                        allowed_pitches=allowed)
        else:
            from muselab.music import neural

            model, _ = neural_model()
            new = neural.sample(model, context + tokens, rng, temperature, top_k, steps, stop_at_eos=False,
                                allowed_pitches=allowed)
        tokens += new
        total = start + sum(d for _, d in decode(tokens))
    notes: list[Note] = []
    t = start
    for pitch, length in decode(tokens, -shift):
        if t >= target - 1e-6:
            break
        length = min(length, target - t)
        if pitch is not None:
            notes.append(Note(pitch, t, length, 84 if abs((t / bar) % 1) < 1e-6 else 76))
        t += length
    if not notes:
        raise EngineError("generator: the model produced only rests; try a higher temperature or another seed")
    info = {"generator": generator, "temperature": temperature, "top_k": top_k, "corpus_style": style}
    if generator == "neural":
        info["model"] = "melody_lstm.pt"
        info["model_metrics"] = {k: v for k, v in neural_model()[1]["metrics"].items() if k != "history"}
    else:
        info["model"] = f"markov.json (order {markov_model().order})"
    return notes, info


def with_chords(notes: list[Note], scale: Scale, time_signature: str, tempo: float, program: int,
                title: str = "") -> Piece:
    from muselab.music.harmonize import harmonize

    spans = harmonize(notes, scale, time_signature, 1)
    return Piece([Track("Melody", program, notes, role="melody")], tempo, time_signature, scale.tonic, scale.mode,
                 spans, title=title)
