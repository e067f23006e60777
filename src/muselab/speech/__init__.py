"""Speech: text read aloud, on this machine. A neural English voice (Piper, run as its own process) and a
Mandarin voice from espeak-ng reading pinyin (robotic, said so), until a neural Chinese voice is installable."""

from muselab.engines import TaskSpec

TASKS = [
    TaskSpec("speech.narrate", "muselab.speech.recipe:NarrateRecipe", "muselab.speech.engine:narrate",
             "Read a text aloud (narration)"),
]
