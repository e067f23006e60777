"""Video studio: find the shots, cut automatically, summarise, reframe, add effects, subtitles and sound,
and hand a cut to a desktop editor. Built on ffmpeg (run as a command) and PySceneDetect.

A video enters the library through `import_check` (probed first: `muselab video import`, POST
/v1/video/import). Each task has its own module holding its engine function (`run`), so the craft of
one task reads on its own; `ffmpeg.py` runs the programs, `timeline.py` renders a cut."""

from muselab.engines import TaskSpec

_R = "muselab.video.recipe:"

TASKS = [
    TaskSpec("video.scenes", _R + "ScenesRecipe", "muselab.video.scenes:run", "Find the scenes (shots)"),
    TaskSpec("video.autocut", _R + "AutoCutRecipe", "muselab.video.autocut:run",
             "Cut out black, frozen and silent stretches"),
    TaskSpec("video.highlights", _R + "HighlightsRecipe", "muselab.video.highlights:run",
             "Highlights or trailer to a length"),
    TaskSpec("video.reframe", _R + "ReframeRecipe", "muselab.video.reframe:run", "Reframe to 9:16, 1:1 or 4:5"),
    TaskSpec("video.edit", _R + "EditRecipe", "muselab.video.effects:run", "Speed, colour grade, titles, fades"),
    TaskSpec("video.assemble", _R + "AssembleRecipe", "muselab.video.assemble:run",
             "Assemble clips and pictures with transitions"),
    TaskSpec("video.subtitles", _R + "SubtitlesRecipe", "muselab.video.subtitles:run", "Add subtitles"),
    TaskSpec("video.transcribe", _R + "TranscribeRecipe", "muselab.video.transcribe:run",
             "Subtitles from speech (Whisper)"),
    TaskSpec("video.sound", _R + "SoundRecipe", "muselab.video.sound:run", "Music, ducking and loudness"),
    TaskSpec("video.export_edl", _R + "ExportEdlRecipe", "muselab.video.edl:run", "Export the cut for an editor"),
]
