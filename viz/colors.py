"""The one place for the charts' colours: the path palette, the surface colour map they are
chosen against, and the colour science that checks them (sRGB → CIELAB, CIEDE2000, and a
simulation of colour-vision deficiency).

Path palette: the eight colours of Okabe & Ito ("Color Universal Design", 2008), chosen so
that people with protan, deutan or tritan vision still tell them apart; ordered so that the
first three (the default page draws three) differ most in lightness and hue.

Surface map: a low-chroma ramp from a warm near-white at the lowest values (where paths end,
so every path colour stands out there) to a cool slate at the highest. The palette's colours
are all saturated (chroma ≥ 40) or black, the map's are nearly grey (chroma ≤ 8), so every path
differs from every band in chroma or lightness; viridis, by contrast, contains the palette's
green and blue. Each path also carries an outline (white on dark colours, near-black on light
ones) that separates it from any band."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PathColor:
    """A path colour: its hex code, a name, and the emoji that stands for it in text."""

    hex: str
    name: str
    emoji: str


PATH_COLORS = (
    PathColor("#0072B2", "blue", "🔵"),
    PathColor("#E69F00", "orange", "🟠"),
    PathColor("#009E73", "bluish green", "🟢"),
    PathColor("#CC79A7", "reddish purple", "🟣"),
    PathColor("#000000", "black", "⚫"),
    PathColor("#D55E00", "vermillion", "🔴"),
    PathColor("#56B4E9", "sky blue", "🔷"),
    PathColor("#F0E442", "yellow", "🟡"),
)
PALETTE = tuple(c.hex for c in PATH_COLORS)
DARK_OUTLINE = "#1b1b1b"
LIGHT_OUTLINE = "#ffffff"

# The surface map in CIE LCh: lightness, chroma and hue (degrees) at the lowest and highest value.
_MAP_LOW = (97.0, 3.0, 80.0)
_MAP_HIGH = (38.0, 3.0, 80.0)


def surface_colors(n: int) -> np.ndarray:
    """(n, 3) uint8 sRGB colours of the surface map at n evenly spaced points, lowest first:
    L, C and h interpolated linearly between the two ends."""
    t = np.linspace(0.0, 1.0, max(int(n), 2))[:, None]
    lch = (1 - t) * np.array(_MAP_LOW) + t * np.array(_MAP_HIGH)
    h = np.radians(lch[:, 2])
    lab = np.stack([lch[:, 0], lch[:, 1] * np.cos(h), lch[:, 1] * np.sin(h)], axis=-1)
    return np.round(lab_to_srgb(lab) * 255).astype(np.uint8)[: int(n)]


def outline_for(color: str) -> str:
    """The outline drawn around a path of ``color``: white where the colour is dark
    (L* < 50), near-black otherwise, so the pair differs from any band of the map."""
    return LIGHT_OUTLINE if hex_to_lab(color)[0] < 50 else DARK_OUTLINE


def hex_to_rgb(color: str) -> np.ndarray:
    """"#rrggbb" → sRGB in [0, 1]."""
    h = color.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)]) / 255.0


def rgb_hex(rgb) -> str:
    """uint8 or [0, 1] sRGB → "#rrggbb"."""
    rgb = np.asarray(rgb, dtype=float)
    rgb = np.round(rgb * 255 if rgb.max() <= 1.0 and rgb.dtype.kind == "f" else rgb).astype(int)
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


# sRGB (D65) → XYZ, IEC 61966-2-1.
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_WHITE = _RGB_TO_XYZ.sum(axis=1)  # D65 white point, Y = 1


def _linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _gamma(lin):
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def srgb_to_lab(rgb) -> np.ndarray:
    """sRGB in [0, 1] (..., 3) → CIELAB (D65): L* = 116 f(Y/Yn) − 16, a* = 500 (f(X/Xn) − f(Y/Yn)),
    b* = 200 (f(Y/Yn) − f(Z/Zn)), f(t) = t^⅓ above (6/29)³, linear below."""
    xyz = _linear(rgb) @ _RGB_TO_XYZ.T / _WHITE
    d = 6 / 29
    f = np.where(xyz > d**3, np.cbrt(xyz), xyz / (3 * d * d) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_to_srgb(lab) -> np.ndarray:
    """CIELAB (D65) → sRGB in [0, 1], clipped to the gamut."""
    lab = np.asarray(lab, dtype=float)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    d = 6 / 29
    xyz = np.where(f > d, f**3, 3 * d * d * (f - 4 / 29)) * _WHITE
    return _gamma(xyz @ np.linalg.inv(_RGB_TO_XYZ).T)


def hex_to_lab(color: str) -> np.ndarray:
    return srgb_to_lab(hex_to_rgb(color))


# Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB.
CVD = {
    "protan": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                        [-0.003882, -0.048116, 1.051998]]),
    "deutan": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]]),
    "tritan": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                        [0.004733, 0.691367, 0.303900]]),
}


def simulate(rgb, kind: str) -> np.ndarray:
    """sRGB in [0, 1] as seen with full protanopia, deuteranopia or tritanopia."""
    return _gamma(_linear(rgb) @ CVD[kind].T)


def delta_e2000(lab1, lab2) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), broadcasting over (..., 3)."""
    lab1, lab2 = np.asarray(lab1, dtype=float), np.asarray(lab2, dtype=float)
    L1, a1, b1 = np.moveaxis(lab1, -1, 0)
    L2, a2, b2 = np.moveaxis(lab2, -1, 0)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dL, dC = L2 - L1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dH = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    L_mean, C_mean = (L1 + L2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(np.abs(h1p - h2p) > 180, np.where(h_sum < 360, h_sum + 360, h_sum - 360), h_sum) / 2
    h_mean = np.where(c1p * c2p == 0, h_sum, h_mean)
    t = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (L_mean - 50) ** 2 / np.sqrt(20 + (L_mean - 50) ** 2)
    s_c = 1 + 0.045 * C_mean
    s_h = 1 + 0.015 * C_mean * t
    r_t = (-2 * np.sqrt(C_mean**7 / (C_mean**7 + 25.0**7))
           * np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2)))))
    return np.sqrt((dL / s_l) ** 2 + (dC / s_c) ** 2 + (dH / s_h) ** 2
                   + r_t * (dC / s_c) * (dH / s_h))
