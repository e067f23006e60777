"""video.sound: ducking depth and loudness measured on the output (FFT around the music's frequency, EBU R128)."""

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from effects_samples import (  # noqa: E402
    band_db,
    bursts_video,
    clip,
    context,
    integrated_lufs,
    probe,
    samples,
    tone_wav,
)

from muselab.engines import EngineError, run_task  # noqa: E402
from muselab.video.mixing import duck_mix  # noqa: E402

VID, MUSIC = "c3" * 4, "d4" * 4
SPEECH = [(1.0, 3.0), (5.0, 7.0), (9.0, 11.0)]  # tone bursts at 1 kHz
GAPS = [(3.0, 5.0), (7.0, 9.0)]
MUSIC_HZ = 300


def sound(tmp_path, video, music=None, **recipe):
    inputs = {VID: video} | ({MUSIC: music} if music else {})
    ctx = context(tmp_path, inputs)
    body = {"video_work_id": VID, "seed": 1, **recipe} | ({"music_work_id": MUSIC} if music else {})
    return run_task("video.sound", body, ctx)[0], ctx


def dip(path):
    """How much lower (dB) the music is during speech than in the gaps (settled: attack and release left out)."""
    x = samples(path)
    during = np.mean([band_db(x, a + 0.4, b - 0.1, MUSIC_HZ) for a, b in SPEECH])
    between = np.mean([band_db(x, a + 0.5, b - 0.1, MUSIC_HZ) for a, b in GAPS])
    return between - during


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sound")
    return {"speech": bursts_video(folder / "speech.mp4", 12, SPEECH, db=-16),
            "quiet_speech": bursts_video(folder / "quiet.mp4", 12, SPEECH, db=-30),
            "music": tone_wav(folder / "music.wav", 5, MUSIC_HZ, db=-10)}  # 5 s: looped to 12


@pytest.mark.parametrize("duck_db", [6, 12, 20])
def test_music_dips_by_duck_db_under_speech_and_lands_on_the_loudness_target(tmp_path, inputs, duck_db):
    out, ctx = sound(tmp_path, inputs["speech"], inputs["music"], duck_db=duck_db, music_db=0, loudness_lufs=-16)
    assert dip(out.path) == pytest.approx(duck_db, abs=1.5)
    assert integrated_lufs(out.path) == pytest.approx(-16, abs=1.0)
    info = probe(out.path)
    assert info["video_duration"] == pytest.approx(12, abs=0.05)
    assert info["audio_duration"] == pytest.approx(12, abs=0.1)
    assert out.parents == [VID, MUSIC] and out.meta["duck_db"] == duck_db
    messages = [m for _, m, _ in ctx.events]
    assert "measuring the loudness" in messages and "mixing the sound" in messages


def test_ducking_holds_for_quiet_speech_and_broadcast_loudness(tmp_path, inputs):
    out, _ = sound(tmp_path, inputs["quiet_speech"], inputs["music"], duck_db=12, music_db=-6, loudness_lufs=-23)
    assert dip(out.path) == pytest.approx(12, abs=1.5)  # speech 14 dB quieter than above: the same dip
    assert integrated_lufs(out.path) == pytest.approx(-23, abs=1.0)


def test_without_ducking_the_music_stays_level(tmp_path, inputs):
    out, _ = sound(tmp_path, inputs["speech"], inputs["music"], duck=False)
    assert abs(dip(out.path)) < 1.0
    assert integrated_lufs(out.path) == pytest.approx(-16, abs=1.0)


def test_duck_mix_is_the_share_that_reaches_the_asked_depth():
    assert duck_mix(0.5) < duck_mix(12) < duck_mix(20) <= 1.0
    assert duck_mix(40) == 1.0


def test_the_picture_is_copied_and_a_video_without_sound_gets_the_music(tmp_path, inputs):
    silent = tmp_path / "silent.mp4"
    import subprocess

    subprocess.run(["ffmpeg", "-v", "error", "-i", str(inputs["speech"]), "-an", "-c:v", "copy", str(silent)],
                   check=True)
    out, _ = sound(tmp_path, silent, inputs["music"], fade_in=1.0, fade_out=1.0)
    x = samples(out.path)
    assert integrated_lufs(out.path) == pytest.approx(-16, abs=1.0)
    assert np.sqrt(np.mean(x[:480] ** 2)) < 0.01  # faded in from silence
    assert out.meta["duck_db"] == 0
    with pytest.raises(EngineError, match="music_work_id: the video has no sound"):
        sound(tmp_path / "again", silent)


def test_loudness_alone_without_music(tmp_path):
    src = clip(tmp_path / "in.mp4", 3.0, sound="noise")
    out, _ = sound(tmp_path, src, loudness_lufs=-20, fade_in=0, fade_out=0)
    assert integrated_lufs(out.path) == pytest.approx(-20, abs=1.0)
    assert out.parents == [VID]


@pytest.mark.skipif(not shutil.which("fluidsynth") and not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").exists(),
                    reason="no MIDI renderer")
def test_midi_music_is_rendered_then_ducked(tmp_path, inputs):
    import pretty_midi

    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    for i in range(8):  # C major arpeggio, half a second a note
        piano.notes.append(pretty_midi.Note(velocity=90, pitch=[60, 64, 67, 72][i % 4], start=i * 0.5,
                                            end=i * 0.5 + 0.45))
    midi.instruments.append(piano)
    path = tmp_path / "tune.mid"
    midi.write(str(path))
    out, ctx = sound(tmp_path, inputs["speech"], path, loudness_lufs=-18)
    assert integrated_lufs(out.path) == pytest.approx(-18, abs=1.0)
    assert list((ctx.workdir / "music").glob("*.wav"))
