"""The networks a GAN or a VAE is made of, and the file a trained one is kept in.

Both kinds are built from the same two convolutional halves, sized by the picture side (32, 64 or 128 px):

- the **decoder** turns a latent vector z into a picture in [-1, 1]: the GAN's generator, the VAE's decoder;
- the **encoder** turns a picture into a vector: the GAN's discriminator (one logit: real or made?) or the
  VAE's encoder (2 x latent_dim numbers: the mean and log-variance of the picture's latent code).

A trained model is one torch file (FORMAT): its architecture, the decoder's weights, the encoder's weights
(VAE only; a GAN's discriminator is not needed to make pictures) and its training history.
PyTorch is imported only when a network is built, so the studio runs without it until one is trained.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

from muselab.engines import EngineError

CHECKPOINT_MEDIA_TYPE = "application/x-muselab-checkpoint"
FORMAT = "muselab-image-generator-v1"


def require_torch():
    """The torch module, or a clear error that says how to get it."""
    try:
        import torch
    except ImportError:
        raise EngineError("training a GAN/VAE needs PyTorch: pip install 'muselab[train]'") from None
    return torch


def build_networks(kind: str, image_size: int, latent_dim: int, base: int):
    """(decoder, encoder) for kind "gan" (generator, discriminator) or "vae" (decoder, encoder), DCGAN-initialised."""
    torch = require_torch()
    nn = torch.nn
    n_up = int(math.log2(image_size // 4))
    chans = [base * 2 ** (n_up - 1 - i) for i in range(n_up)]  # e.g. 64px, base 32: [256, 128, 64, 32]

    class Decoder(nn.Module):
        """z -> picture in [-1, 1]: the DCGAN generator and the VAE decoder share this shape."""

        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(latent_dim, chans[0] * 16)
            layers = [nn.BatchNorm2d(chans[0]), nn.ReLU(True)]
            for a, b in zip(chans, chans[1:], strict=False):
                layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
            layers += [nn.ConvTranspose2d(chans[-1], 3, 4, 2, 1), nn.Tanh()]
            self.net = nn.Sequential(*layers)

        def forward(self, z):
            return self.net(self.fc(z).view(-1, chans[0], 4, 4))

    class Encoder(nn.Module):
        """picture -> features (4x4 map, flattened): the DCGAN discriminator body and the VAE encoder."""

        def __init__(self, out: int, batchnorm: bool = True):
            super().__init__()
            rev = chans[::-1]
            layers = [nn.Conv2d(3, rev[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
            for a, b in zip(rev, rev[1:], strict=False):
                layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False)]
                layers += [nn.BatchNorm2d(b)] if batchnorm else []
                layers += [nn.LeakyReLU(0.2, True)]
            self.net = nn.Sequential(*layers)
            self.head = nn.Linear(chans[0] * 16, out)

        def forward(self, x):
            return self.head(self.net(x).flatten(1))

    def init(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

    decoder = Decoder()
    encoder = Encoder(1) if kind == "gan" else Encoder(2 * latent_dim)
    decoder.apply(init)
    encoder.apply(init)
    return decoder, encoder


# ---------------------------------------------------------------- pictures in, pictures out


def to_tensor(batch: np.ndarray):
    """uint8 pictures (N, H, W, 3) -> a float tensor (N, 3, H, W) in [-1, 1], as the networks take them."""
    torch = require_torch()
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_pil(t) -> list[Image.Image]:
    """A decoder's output (N, 3, H, W) in [-1, 1] -> N pictures."""
    arr = ((t.detach().clamp(-1, 1) + 1) * 127.5 + 0.5).byte().permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(a, "RGB") for a in arr]


# ---------------------------------------------------------------- the model file


def save_atomic(obj, path: Path) -> None:
    """torch.save to a temporary file, then rename: a crash never leaves half a file under `path`."""
    torch = require_torch()
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_model(path: Path, arch: dict, decoder, encoder, training: str) -> None:
    """Keep a trained model: architecture, weights (the encoder only for a VAE) and training history (JSON)."""
    save_atomic(
        {
            "format": FORMAT,
            "arch": arch,
            "decoder": decoder.state_dict(),
            "encoder": encoder.state_dict() if arch["kind"] == "vae" else None,
            "training": training,
        },
        path,
    )


def load_model(path: Path, field: str = "model_work_id"):
    """(arch, decoder, encoder or None) of a model file made by save_model, ready to make pictures."""
    torch = require_torch()
    try:
        ck = torch.load(path, weights_only=True)
    except Exception:
        ck = None
    if not isinstance(ck, dict) or ck.get("format") != FORMAT:
        raise EngineError(f"{field}: not a Muselab GAN/VAE model (make one with image.train_gan or image.train_vae)")
    arch = ck["arch"]
    decoder, encoder = build_networks(arch["kind"], arch["image_size"], arch["latent_dim"], arch["base_channels"])
    decoder.load_state_dict(ck["decoder"])
    decoder.eval()
    if ck.get("encoder") is not None:
        encoder.load_state_dict(ck["encoder"])
        encoder.eval()
    else:
        encoder = None
    return arch, decoder, encoder
