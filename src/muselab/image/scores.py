"""The held-out score that decides when a GAN or a VAE stops training and which epoch it keeps (lower is better).

- VAE: the loss per held-out picture (reconstruction + beta x KL), with the encoder's mean as the code.
- GAN: a FID-like proxy, the Fréchet distance between features of held-out and generated pictures under a
  fixed, randomly initialised conv net (the "probe"). Comparable within one run, not to published FID numbers.
"""

from __future__ import annotations

import numpy as np

from muselab.image.networks import require_torch, to_tensor


def probe_network(image_size: int):
    """A fixed, randomly initialised conv net used as the feature extractor of the FID-like proxy."""
    torch = require_torch()
    nn = torch.nn
    g = torch.Generator().manual_seed(20240917)
    layers, c = [], 3
    for out in (32, 64, 96):
        conv = nn.Conv2d(c, out, 4, 2, 1)
        with torch.no_grad():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g) * (2.0 / (c * 16)) ** 0.5)
            conv.bias.zero_()
        layers += [conv, nn.LeakyReLU(0.2)]
        c = out
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()).eval()
    return net


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between two sets of feature vectors (rows), each taken as a Gaussian."""
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1 = np.cov(a, rowvar=False) + np.eye(a.shape[1]) * 1e-6
    s2 = np.cov(b, rowvar=False) + np.eye(a.shape[1]) * 1e-6
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


class HeldOutScore:
    """score(decoder, encoder) -> float on a fixed set of pictures; the networks are back in training mode after."""

    def __init__(self, kind: str, images: np.ndarray, recipe, seed: int):
        self.kind, self.images, self.recipe, self.seed = kind, images, recipe, seed
        self.probe = probe_network(recipe.image_size) if kind == "gan" else None

    def __call__(self, decoder, encoder) -> float:
        torch = require_torch()
        decoder.eval()
        encoder.eval()
        with torch.no_grad():
            x = to_tensor(self.images)
            score = self._vae(decoder, encoder, x) if self.kind == "vae" else self._gan(decoder, x)
        decoder.train()
        encoder.train()
        return score

    def _vae(self, decoder, encoder, x) -> float:
        F = require_torch().nn.functional
        mu, logvar = encoder(x).chunk(2, dim=1)
        recon = decoder(mu)
        per_image = F.mse_loss(recon, x, reduction="none").flatten(1).sum(1)
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        return float((per_image + self.recipe.beta * kl).mean())

    def _gan(self, decoder, x) -> float:
        torch = require_torch()
        m = max(len(x), 32)
        z = torch.randn(m, self.recipe.latent_dim, generator=torch.Generator().manual_seed(self.seed + 11))
        fake = decoder(z)
        real = x.repeat((m + len(x) - 1) // len(x), 1, 1, 1)[:m]
        return frechet(self.probe(real).numpy().astype(np.float64), self.probe(fake).numpy().astype(np.float64))
