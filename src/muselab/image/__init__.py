"""Picture studio: procedural art, neural style transfer, GAN/VAE on your own pictures, diffusion and
image servers, everyday edits. Every picture carries its recipe inside (PNG info)."""

from muselab.engines import TaskSpec

_R = "muselab.image.recipe:"
_E = "muselab.image.engine:"

TASKS = [
    TaskSpec("image.paint", _R + "PaintRecipe", _E + "paint", "Paint (procedural art from a prompt)"),
    TaskSpec("image.style", _R + "StyleRecipe", _E + "style", "Style transfer on a photo"),
    TaskSpec("image.train_gan", _R + "TrainGanRecipe", _E + "train_gan", "Train a GAN on your pictures"),
    TaskSpec("image.train_vae", _R + "TrainVaeRecipe", _E + "train_vae", "Train a VAE on your pictures"),
    TaskSpec("image.sample", _R + "SampleRecipe", _E + "sample", "New pictures from a trained GAN/VAE"),
    TaskSpec("image.interpolate", _R + "InterpolateRecipe", _E + "interpolate", "Walk between two latent points"),
    TaskSpec("image.diffuse", _R + "DiffuseRecipe", _E + "diffuse", "Diffusion with a local model folder"),
    TaskSpec("image.remote", _R + "RemoteRecipe", _E + "remote", "Ask an image server (A1111 / OpenAI images)"),
    TaskSpec("image.edit", _R + "EditRecipe", _E + "edit", "Resize, upscale, adjust, add text"),
]
