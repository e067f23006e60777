"""Music checks on the theory-based composer, the harmonizer and the variations (no audio, fast)."""

import random

import pytest
from pydantic import ValidationError

from muselab.music.analysis import cadences, classify_melody
from muselab.music.composer import SongOptions, compose
from muselab.music.styles import STYLES
from muselab.music.harmonize import harmonize
from muselab.music.recipe import LoopRecipe, MelodyRecipe, SongRecipe
from muselab.music.score import ChordSpan, Note, Piece, Track
from muselab.music.theory import MODES, PENTATONIC, Scale, chord_from_symbol, key_pc
from muselab.music.transform import invert, loop_to_duration, retrograde, rhythmic_variation, transpose

MODES_WITH_DOMINANT = [m for m in MODES if 7 in MODES[m] and m != "locrian"]


def song(style="pop", mode="major", key=0, bars=16, seed=1, ts="4/4", mood="happy"):
    return compose(SongOptions(key, mode, style, mood, None, ts, bars), seed)


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("mode", ["major", "minor", "dorian", "gong", "yu", "jue"])
def test_every_melody_note_is_a_chord_tone_or_a_passing_or_neighbour_tone(style, mode):
    for seed in range(3):
        piece = song(style, mode, key=seed * 5 % 12, seed=seed)
        labels = classify_melody(piece)
        assert len(labels) >= 16
        assert "foreign" not in labels, (style, mode, seed, labels)


@pytest.mark.parametrize("ts", ["2/4", "3/4", "4/4", "6/8"])
def test_time_signatures_fill_whole_bars_and_fit_the_chords(ts):
    piece = song("folk", "major", bars=8, ts=ts, seed=4)
    bar = piece.bar_length
    assert piece.length_beats == pytest.approx(8 * bar, abs=0.05)
    melody = piece.track("melody").notes
    assert sum(n.duration for n in melody) <= 8 * bar + 1e-6
    assert "foreign" not in classify_melody(piece)


def test_the_checker_can_fail_on_a_foreign_note():
    scale_chords = [ChordSpan(Scale(0, "major").chord_on(0), 0, 4)]
    # C E G are chord tones; F# leapt to and left by leap is neither passing nor neighbour; D between C and E passes
    notes = [Note(60, 0, 0.5), Note(62, 0.5, 0.5), Note(64, 1, 0.5), Note(66, 1.5, 0.5), Note(60, 2, 1),
             Note(67, 3, 1)]
    piece = Piece([Track("Melody", 0, notes, role="melody")], 100, "4/4", 0, "major", scale_chords)
    assert classify_melody(piece) == ["chord", "passing", "chord", "foreign", "chord", "chord"]


@pytest.mark.parametrize("mode", MODES_WITH_DOMINANT)
def test_phrases_end_on_cadences_and_the_piece_on_the_tonic(mode):
    for seed in range(4):
        piece = song("classical", mode, key=7, bars=16, seed=seed)
        found = cadences(piece)
        assert len(found) == 4
        assert [c["cadence"] for c in found] == ["half", "authentic", "half", "authentic"], found
        assert found[-1]["melody_last"] % 12 == 7  # the melody ends on the tonic (G)
        final = piece.track("melody").sorted_notes()[-1]
        assert final.duration >= 1.0  # a cadence lands on a long note


@pytest.mark.parametrize("mode", sorted(PENTATONIC))
@pytest.mark.parametrize("style", ["chinese", "pop", "ballad"])
def test_pentatonic_pieces_use_only_their_modes_degrees_in_every_track(mode, style):
    for seed in range(3):
        piece = song(style, mode, key=2, seed=seed)
        allowed = Scale(2, mode).pcs
        pitched = [n for t in piece.tracks if not t.is_drum for n in t.notes]
        assert pitched
        assert {n.pitch % 12 for n in pitched} <= allowed, (mode, style, seed)
        assert piece.track("melody").sorted_notes()[-1].pitch % 12 == 2  # ends on the mode's tonic


def test_seeds_reproduce_and_differ():
    def notes(p):
        return [(t.name, n.pitch, n.start, n.duration, n.velocity) for t in p.tracks for n in t.notes]

    assert notes(song(seed=11)) == notes(song(seed=11))
    assert notes(song(seed=11)) != notes(song(seed=12))


def test_motif_returns_in_the_repeated_phrase():
    piece = song("pop", "major", bars=16, seed=5)
    bar = piece.bar_length
    melody = piece.track("melody").sorted_notes()

    def rhythm(b):
        return [round(n.start - b * bar, 3) for n in melody if b * bar <= n.start < (b + 1) * bar]

    assert rhythm(0) == rhythm(4)  # A and A' open with the same rhythm
    assert rhythm(0) == rhythm(2)  # the motif returns inside the phrase


def test_styles_have_their_instruments_and_drums():
    chinese = song("chinese", "gong")
    programs = {t.role: t.program for t in chinese.tracks}
    assert programs["accompaniment"] == 107  # guzheng (koto)
    assert programs["counter"] == 110  # erhu-like fiddle
    assert not any(t.is_drum for t in chinese.tracks)
    assert any(t.is_drum for t in song("pop").tracks)
    assert song("lofi").swing


def test_harmonizer_covers_the_melody_and_cadences_on_the_tonic():
    piece = song("folk", "major", key=9, bars=8, seed=2)
    melody = piece.track("melody").sorted_notes()
    spans = harmonize(melody, Scale(9, "major"), "4/4")
    assert len(spans) == 8
    assert spans[-1].chord.root == 9
    harmonized = Piece(piece.tracks, piece.tempo, "4/4", 9, "major", spans)
    on_beats = [n for n in melody if n.start % 1 == 0]
    fits = sum(1 for n in on_beats if n.pitch % 12 in harmonized.chord_at(n.start).pcs)
    assert fits / len(on_beats) >= 0.8


def test_variations_are_musical_inverses():
    melody = song(seed=3).track("melody").sorted_notes()
    scale = Scale(0, "major")

    def key(notes):
        return [(n.pitch, round(n.start, 6), round(n.duration, 6)) for n in sorted(notes, key=lambda n: n.start)]

    assert key(retrograde(retrograde(melody))) == key(melody)
    assert key(invert(invert(melody, scale), scale)) == key(melody)
    assert all(scale.contains(n.pitch) for n in invert(melody, scale))  # a diatonic inversion stays in the key
    assert [n.pitch for n in transpose(melody, 5)] == [n.pitch + 5 for n in melody]
    varied = rhythmic_variation(melody, random.Random(1), "4/4")
    assert key(varied) != key(melody)
    assert sum(n.duration for n in varied) == pytest.approx(sum(n.duration for n in melody))


def test_loop_lands_on_the_target_with_a_small_tempo_nudge():
    piece = song(bars=8, seed=1)  # 8 bars of 4/4 at the style's tempo
    one = piece.seconds(8 * 4)
    looped, plan = loop_to_duration(piece, one * 3 * 1.05, 0.08)
    assert plan["repeats"] == 3 and not plan["cut"]
    assert plan["seconds"] == pytest.approx(one * 3 * 1.05, abs=0.01)
    assert len(looped.track("melody").notes) == 3 * len(piece.track("melody").notes)
    cut, plan = loop_to_duration(piece, one * 1.5, 0.05)
    assert plan["cut"] and plan["seconds"] >= one * 1.5 - 1e-6


def test_chord_symbols_round_trip():
    scale = Scale(0, "major")
    for degree in range(7):
        for seventh in (False, True):
            chord = scale.chord_on(degree, seventh)
            assert chord_from_symbol(chord.symbol, scale).pcs == chord.pcs


@pytest.mark.parametrize("field, value", [("key", "H"), ("mode", "blues"), ("tempo", 500), ("tempo", 5),
                                          ("time_signature", "5/4"), ("bars", 1000), ("style", "polka"),
                                          ("mood", "angry"), ("melody_instrument", "kazoo"), ("colour", "red")])
def test_bad_recipes_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        SongRecipe(**{field: value})
    assert field in str(info.value)


def test_chinese_and_english_names_are_accepted():
    r = SongRecipe(key="bb", mode="徵", style="中国风", mood="平静", melody_instrument="笛子",
                   accompaniment_instrument="古筝", title="山水")
    assert (r.key, r.mode, r.style, r.mood) == ("Bb", "zhi", "chinese", "calm")
    assert MelodyRecipe(mode="Dorian", generator="neural", n=4).mode == "dorian"
    with pytest.raises(ValidationError, match="duration_seconds"):
        LoopRecipe(work_id="w", duration_seconds=100000)
    assert key_pc("F#") == 6


def test_every_recipe_checks_keys_modes_styles_and_instruments_alike():
    """The checks are types (KeyName, ModeName, StyleName, MoodName, InstrumentName), not per-recipe copies."""
    from muselab.music.recipe import ArrangeRecipe, HarmonizeRecipe

    h = HarmonizeRecipe(melody_work_id="w", key="f#", mode="宫", style="民谣")
    assert (h.key, h.mode, h.style) == ("F#", "gong", "folk")
    assert HarmonizeRecipe(melody_work_id="w").key is None  # empty: detected from the melody
    a = ArrangeRecipe(work_id="w", instruments={"Melody": "二胡", "2": "guzheng"}, style="中国风")
    assert a.style == "chinese" and a.instruments == {"Melody": "二胡", "2": "guzheng"}
    for recipe, fields in ((HarmonizeRecipe, {"melody_work_id": "w", "key": "H"}),
                           (HarmonizeRecipe, {"melody_work_id": "w", "mode": "blues"}),
                           (ArrangeRecipe, {"work_id": "w", "instruments": {"Melody": "kazoo"}}),
                           (ArrangeRecipe, {"work_id": "w", "style": "polka"})):
        with pytest.raises(ValidationError) as info:
            recipe(**fields)
        assert list(fields)[-1] in str(info.value) and "accepted" in str(info.value)
