"""Compose: melodies, chord progressions and arranged songs as MIDI, rendered to audio and scores.

Generators: a theory-based composer (no training) and learned models (Markov and LSTM) trained on the
Essen folk songs bundled with music21. Operations on a user's MIDI: continue, harmonize, vary, arrange, loop.
"""

from muselab.engines import TaskSpec

_R = "muselab.music.recipe"
_E = "muselab.music.engine"

TASKS = [
    TaskSpec("music.song", f"{_R}:SongRecipe", f"{_E}:song", "Compose an arranged song · 歌曲"),
    TaskSpec("music.melody", f"{_R}:MelodyRecipe", f"{_E}:melody", "Compose a melody · 旋律"),
    TaskSpec("music.chords", f"{_R}:ChordsRecipe", f"{_E}:chords", "Compose a chord progression · 和弦"),
    TaskSpec("music.continue", f"{_R}:ContinueRecipe", f"{_E}:continue_", "Continue a melody · 续写"),
    TaskSpec("music.harmonize", f"{_R}:HarmonizeRecipe", f"{_E}:harmonize", "Harmonize a melody · 配和声"),
    TaskSpec("music.vary", f"{_R}:VaryRecipe", f"{_E}:vary", "Vary a melody · 变奏"),
    TaskSpec("music.arrange", f"{_R}:ArrangeRecipe", f"{_E}:arrange",
             "Arrange for other instruments or a style · 编配"),
    TaskSpec("music.loop", f"{_R}:LoopRecipe", f"{_E}:loop", "Loop to a duration (for a video) · 循环"),
]
