"""End to end through run_task: MIDI, rendered audio, MusicXML and piano roll; operations on a user's MIDI."""

import numpy as np
import pytest
import soundfile as sf

from muselab.engines import EngineError, LocalContext, get_task, run_task
from muselab.music.midi_io import midi_duration, read_midi
from muselab.music.render import bundled_soundfont

QUICK = {"audio_formats": [], "score": False, "pianoroll": False}


@pytest.fixture
def ctx(tmp_path):
    return LocalContext(tmp_path / "job")


def test_all_tasks_are_registered():
    for name in ["melody", "chords", "song", "continue", "harmonize", "vary", "arrange", "loop"]:
        spec = get_task(f"music.{name}")
        assert spec.recipe_class() and spec.engine_function()


def test_song_end_to_end_midi_audio_score_pianoroll(ctx):
    outputs = run_task("music.song", {"seed": 7, "style": "chinese", "mode": "羽", "key": "A", "bars": 8,
                                      "title": "月光 Moonlight", "audio_formats": ["wav", "ogg"]}, ctx)
    kinds = [o.kind for o in outputs]
    assert kinds == ["midi", "audio", "audio", "score", "image"]
    assert all(o.parent_outputs == [0] for o in outputs[1:])
    midi = outputs[0]
    assert midi.media_type == "audio/midi"
    assert midi.meta["key"] == "A" and midi.meta["mode"] == "yu" and len(midi.meta["chords_per_bar"]) == 8
    assert midi.meta["melody_notes"]["foreign"] == 0
    seconds = midi_duration(midi.path)
    assert seconds == pytest.approx(midi.meta["midi_duration"], abs=0.05)
    for audio in outputs[1:3]:
        data, rate = sf.read(str(audio.path), always_2d=True)
        assert abs(len(data) / rate - seconds) < 0.5  # the audio lasts as long as the MIDI
        peak = 20 * np.log10(np.max(np.abs(data)))
        assert -20 < peak < 0  # never clipped, never too quiet
    assert outputs[1].meta["renderer"] in ("fluidsynth", "tinysoundfont")
    assert -30 < midi.meta["loudness_lufs"] <= -13.9
    assert outputs[2].media_type == "audio/ogg"
    # the score reads back: a part per pitched track, chord symbols, the key signature of A 羽 (C 宫: no accidentals)
    from music21 import converter, harmony

    score = converter.parse(str(outputs[3].path))
    assert outputs[3].media_type == "application/vnd.recordare.musicxml+xml"
    assert len(score.parts) == 4
    assert len(list(score.recurse().getElementsByClass(harmony.ChordSymbol))) >= 8
    assert score.recurse().getElementsByClass("KeySignature")[0].sharps == 0
    from PIL import Image

    with Image.open(outputs[4].path) as image:
        assert image.size[0] >= 800 and image.format == "PNG"


def test_fallback_renderer_with_the_bundled_soundfont(ctx):
    font = bundled_soundfont()
    assert font is not None
    outputs = run_task("music.chords", {"seed": 1, "bars": 4, "renderer": "tinysoundfont", "soundfont": str(font),
                                        "audio_formats": ["wav", "mp3"], "score": False, "pianoroll": False}, ctx)
    audio = outputs[1]
    assert outputs[2].media_type == "audio/mpeg" and outputs[2].path.read_bytes()[:2] in (b"ID", b"\xff\xfb")
    assert audio.meta["renderer"] == "tinysoundfont" and audio.meta["soundfont"] == "TimGM6mb.sf2"
    data, rate = sf.read(str(audio.path), always_2d=True)
    assert abs(len(data) / rate - midi_duration(outputs[0].path)) < 0.5
    assert -20 < 20 * np.log10(np.max(np.abs(data))) < 0


def test_missing_soundfont_is_a_clear_error(ctx):
    with pytest.raises(EngineError, match="soundfont: file not found"):
        run_task("music.chords", {"seed": 1, "bars": 2, "soundfont": "/nowhere/gm.sf2", "audio_formats": ["wav"],
                                  "score": False, "pianoroll": False}, ctx)


@pytest.fixture
def song_midi(tmp_path):
    c = LocalContext(tmp_path / "source")
    outputs = run_task("music.song", {"seed": 2, "style": "folk", "key": "G", "bars": 8} | QUICK, c)
    return outputs[0].path


@pytest.mark.parametrize("content, message", [(b"", "empty"), (b"RIFF1234", "not a MIDI file"),
                                              (b"MThd\x00\x00\x00\x06\x00\x01", "corrupt")])
def test_bad_primer_is_an_error_naming_the_field(tmp_path, content, message):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(content)
    c = LocalContext(tmp_path / "job", inputs={"w": bad})
    with pytest.raises(EngineError, match=f"primer_work_id: .*{message}"):
        run_task("music.continue", {"seed": 1, "primer_work_id": "w"} | QUICK, c)
    with pytest.raises(EngineError, match=f"melody_work_id: .*{message}"):
        run_task("music.harmonize", {"seed": 1, "melody_work_id": "w"} | QUICK, c)


def test_midi_without_notes_is_refused(tmp_path):
    import pretty_midi

    empty = tmp_path / "empty.mid"
    pm = pretty_midi.PrettyMIDI()
    pm.instruments.append(pretty_midi.Instrument(0))
    pm.write(str(empty))
    c = LocalContext(tmp_path / "job", inputs={"w": empty})
    with pytest.raises(EngineError, match="primer_work_id: the MIDI file has no notes"):
        run_task("music.continue", {"seed": 1, "primer_work_id": "w"} | QUICK, c)


def test_continue_keeps_the_primer_and_adds_bars(song_midi, tmp_path):
    c = LocalContext(tmp_path / "job", inputs={"primer": song_midi})
    recipe = {"seed": 5, "primer_work_id": "primer", "bars": 4, "n": 2, "temperature": 0.9} | QUICK
    outputs = run_task("music.continue", recipe, c)
    assert [o.kind for o in outputs] == ["midi", "midi"]
    assert all(o.parents == ["primer"] for o in outputs)
    primer = read_midi(song_midi).track("melody").sorted_notes()
    first = [n for n in read_midi(outputs[0].path).tracks[0].sorted_notes()]
    assert [(n.pitch, n.start) for n in first[:len(primer)]] == [(n.pitch, n.start) for n in primer]
    added = first[len(primer):]
    assert added and min(n.start for n in added) >= 32 - 1e-6 and max(n.end for n in added) <= 48 + 1e-6
    second = read_midi(outputs[1].path).tracks[0].sorted_notes()
    assert [(n.pitch, n.start) for n in second] != [(n.pitch, n.start) for n in first]  # two candidates differ
    again = run_task("music.continue", recipe, LocalContext(tmp_path / "again", inputs={"primer": song_midi}))
    assert again[0].path.read_bytes() == outputs[0].path.read_bytes()  # the same recipe, the same music


def test_harmonize_vary_arrange_loop_on_a_users_midi(song_midi, tmp_path):
    c = LocalContext(tmp_path / "job", inputs={"w": song_midi})
    h = run_task("music.harmonize", {"seed": 1, "melody_work_id": "w", "style": "ballad"} | QUICK, c)[0]
    assert h.meta["key"] == "G" and len(h.meta["chords_per_bar"]) == 8 and h.meta["chords_per_bar"][-1] == ["G"]
    v = run_task("music.vary", {"seed": 1, "melody_work_id": "w", "operation": "transpose", "semitones": 2}
                 | QUICK, c)[0]
    assert v.meta["key"] == "A"
    src = read_midi(song_midi).track("melody").sorted_notes()
    assert [n.pitch for n in read_midi(v.path).tracks[0].sorted_notes()] == [n.pitch + 2 for n in src]
    a = run_task("music.arrange", {"seed": 1, "work_id": "w", "instruments": {"Melody": "erhu", "2": "琵琶"}}
                 | QUICK, c)[0]
    assert a.meta["tracks"][0]["program"] == 110 and a.meta["tracks"][1]["program"] == 106
    with pytest.raises(EngineError, match="instruments: no track named 'Vocals'"):
        run_task("music.arrange", {"seed": 1, "work_id": "w", "instruments": {"Vocals": "erhu"}} | QUICK, c)
    loop = run_task("music.loop", {"seed": 1, "work_id": "w", "duration_seconds": 45, "audio_formats": ["wav"],
                                   "score": False, "pianoroll": False}, c)
    data, rate = sf.read(str(loop[1].path), always_2d=True)
    assert abs(len(data) / rate - 45) < 0.01  # exactly the video's length
    assert loop[0].meta["loop"]["repeats"] >= 2


def test_melody_candidates_from_each_generator(ctx):
    for generator in ["theory", "markov", "neural"]:
        outputs = run_task("music.melody", {"seed": 3, "generator": generator, "n": 2, "key": "E", "mode": "minor",
                                            "bars": 4} | QUICK, ctx)
        assert [o.meta["candidate"] for o in outputs] == [1, 2]
        assert outputs[0].meta["generator"] == generator
        assert outputs[0].path.read_bytes() != outputs[1].path.read_bytes()
