"""A piano-roll PNG: one colour per track, bar lines, chord symbols along the top, title in any language."""

from __future__ import annotations

from pathlib import Path

from muselab.music.score import Piece
from muselab.music.theory import NOTE_NAMES

COLOURS = {"melody": "#d62728", "counter": "#9467bd", "accompaniment": "#1f77b4", "bass": "#2ca02c",
           "drums": "#7f7f7f", "part": "#ff7f0e"}
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "DejaVu Sans"]


def draw_pianoroll(piece: Piece, path: Path, width: float = 12.0) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = CJK_FONTS
    pitched = [n for t in piece.tracks if not t.is_drum for n in t.notes]
    low = min((n.pitch for n in pitched), default=48) - 2
    high = max((n.pitch for n in pitched), default=84) + 3
    length = max(piece.length_beats, piece.bar_length)
    fig, ax = plt.subplots(figsize=(width, 4.2), dpi=100)
    for track in piece.tracks:
        if track.is_drum:
            continue
        colour = COLOURS.get(track.role, "#ff7f0e")
        for n in track.notes:
            ax.add_patch(Rectangle((n.start, n.pitch - 0.4), n.duration, 0.8, color=colour,
                                   alpha=0.95 if track.role == "melody" else 0.55, linewidth=0))
        ax.plot([], [], color=colour, linewidth=6, label=track.name)
    bar = piece.bar_length
    for b in range(int(length // bar) + 1):
        ax.axvline(b * bar, color="#cccccc", linewidth=0.6, zorder=0)
    for span in piece.chords:
        ax.text(span.start + 0.05, high + 0.3, span.chord.symbol, fontsize=7, va="bottom", ha="left")
    ticks = [p for p in range(low, high + 1) if p % 12 == 0]
    ax.set_yticks(ticks, [f"C{p // 12 - 1}" for p in ticks])
    ax.set_xlim(0, length)
    ax.set_ylim(low, high + 2.2)
    ax.set_xlabel("beats")
    mode = piece.mode
    title = f"{piece.title + ' · ' if piece.title else ''}{NOTE_NAMES[piece.tonic]} {mode} · " \
            f"{piece.time_signature} · {round(piece.tempo)} bpm"
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=7, ncol=5, framealpha=0.8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)
