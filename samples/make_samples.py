#!/usr/bin/python3
"""Draws the project's sample images procedurally (no third-party content).

Run from the repository root:   /usr/bin/python3 samples/make_samples.py
Fixed seeds and a hand-written PNG encoder (zlib, filter 0) make reruns
byte-identical. Needs only numpy.

  photo.png        256x192 RGB 8-bit   rendered landscape (natural content)
  zoneplate.png    256x256 gray 8-bit  cos(k r^2) zone plate up to near Nyquist
  lineart.png      200x120 gray 8-bit  lines, circles, checkerboard, bitmap text
  logo_rgba.png    160x160 RGBA 8-bit  soft-edged shape; transparent pixels are pure green
  gradient16.png   192x128 gray 16-bit smooth gradients that band at 8 bits
  gray_alpha.png   64x64 gray+alpha 8-bit soft disk
"""
import os
import struct
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write_png(name, pixels):
    """pixels: HxW (gray) or HxWxC (C = 2, 3, 4), uint8 or uint16."""
    a = np.asarray(pixels)
    if a.ndim == 2:
        a = a[:, :, None]
    h, w, c = a.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    depth = 16 if a.dtype == np.uint16 else 8
    raw = a.astype(">u2" if depth == 16 else np.uint8).tobytes()
    stride = w * c * depth // 8
    rows = b"".join(b"\x00" + raw[y * stride:(y + 1) * stride] for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(png)
    check_png(name, a)


def check_png(name, expected):
    """Decodes our own PNG back (filter 0 only) and compares."""
    data = open(os.path.join(HERE, name), "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth = ihdr[0], ihdr[1], ihdr[2]
    c = expected.shape[2]
    raw = zlib.decompress(idat)
    stride = w * c * depth // 8
    rows = b"".join(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)] for y in range(h))
    got = np.frombuffer(rows, ">u2" if depth == 16 else np.uint8).reshape(h, w, c)
    assert np.array_equal(got, expected), name


def value_noise(rng, h, w, octaves=5, base=4):
    """Multi-octave value noise in [0, 1], bilinearly interpolated lattices."""
    out = np.zeros((h, w))
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2 ** o
        lattice = rng.random((cells + 2, cells + 2))
        ys = np.linspace(0, cells, h, endpoint=False)
        xs = np.linspace(0, cells, w, endpoint=False)
        y0, x0 = ys.astype(int), xs.astype(int)
        fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
        fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)  # smoothstep
        a = lattice[y0][:, x0]
        b = lattice[y0][:, x0 + 1]
        c = lattice[y0 + 1][:, x0]
        d = lattice[y0 + 1][:, x0 + 1]
        out += amp * ((a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy)
        total += amp
        amp *= 0.5
    return out / total


def ridge(rng, w, octaves=6):
    return value_noise(rng, 1, w, octaves, base=3)[0]


def photo():
    rng = np.random.default_rng(1)
    h, w = 192, 256
    y, x = np.mgrid[0:h, 0:w].astype(float)
    # Sky: deep blue at the top to warm haze at the horizon, with a sun glow.
    t = y / h
    sky = np.stack([0.25 + 0.65 * t, 0.45 + 0.45 * t, 0.85 + 0.05 * t], -1)
    sun_d = np.hypot(x - 180, y - 60)
    glow = np.exp(-sun_d / 40.0)[..., None] * np.array([0.5, 0.35, 0.1])
    sun = np.clip(1.4 - sun_d / 9.0, 0, 1)[..., None]
    clouds = value_noise(rng, h, w, 5, 3)
    cloud_mask = np.clip((clouds - 0.55) * 4, 0, 1) * np.clip(1 - t * 1.8, 0, 1)
    img = sky + glow
    img = img * (1 - cloud_mask[..., None] * 0.6) + cloud_mask[..., None] * 0.6 * np.array([1.0, 0.97, 0.92])
    img = img * (1 - sun) + sun * np.array([1.0, 0.97, 0.85])
    # Hills, far to near: lower, darker, greener, more texture.
    layers = [(95, 30, [0.45, 0.52, 0.62], 0.04), (120, 35, [0.30, 0.45, 0.35], 0.08),
              (150, 30, [0.22, 0.40, 0.18], 0.15)]
    for base, amp, color, tex in layers:
        line = base - amp * ridge(rng, w)
        mask = y >= line[None, :]
        texture = value_noise(rng, h, w, 6, 8)
        shade = 1 - 0.35 * np.clip((y - line[None, :]) / 60.0, 0, 1)  # darker further down
        col = np.array(color)[None, None, :] * (shade * (1 - tex + 2 * tex * texture))[..., None]
        img = np.where(mask[..., None], col, img)
    # A lake in the foreground reflecting the sky, with ripples.
    lake_top = 168
    lake = (y >= lake_top) & (np.abs(x - 110) < 70 + (y - lake_top) * 2.5)
    mirror_y = np.clip(110 - (y - lake_top) * 2, 0, h - 1).astype(int)
    ripple = 0.06 * np.sin(x / 3.0 + y * 1.7)
    reflected = img[mirror_y, x.astype(int)] * np.array([0.7, 0.78, 0.85]) + ripple[..., None]
    img = np.where(lake[..., None], reflected, img)
    # Conifers on the near hill, shaded left to right.
    for _ in range(14):
        cx = rng.uniform(0, w)
        if abs(cx - 110) < 75:
            cx = cx + (150 if cx < 110 else -150) if 0 <= cx + (150 if cx < 110 else -150) < w else cx
        if abs(cx - 110) < 75:
            continue
        base_y = rng.uniform(150, 175)
        height = rng.uniform(22, 40)
        half = height * 0.28
        inside = (y <= base_y) & (y >= base_y - height) & (np.abs(x - cx) <= half * (base_y - y) / height)
        light = 0.7 + 0.3 * np.clip((x - cx) / half, -1, 1)
        tree = np.array([0.08, 0.22, 0.10])[None, None, :] * light[..., None] * (0.8 + 0.4 * value_noise(rng, h, w, 3, 16))[..., None]
        img = np.where(inside[..., None], tree, img)
        trunk = (y > base_y) & (y < base_y + 4) & (np.abs(x - cx) < 1.2)
        img = np.where(trunk[..., None], np.array([0.25, 0.17, 0.1]), img)
    img = img + rng.normal(0, 0.008, img.shape)  # mild sensor noise
    write_png("photo.png", np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8))


def zoneplate():
    n = 256
    y, x = np.mgrid[0:n, 0:n].astype(float) - (n - 1) / 2
    r2 = x * x + y * y
    # Phase k r^2: local frequency k r / pi cycles/pixel reaches ~0.45 at the corners.
    k = 0.45 * np.pi / ((n / 2) * np.sqrt(2))
    z = 0.5 + 0.5 * np.cos(k * r2)
    write_png("zoneplate.png", np.clip(z * 255 + 0.5, 0, 255).astype(np.uint8))


FONT = {  # 5x7 bitmap glyphs, one row per string
    "t": ["00100", "00100", "11111", "00100", "00100", "00101", "00010"],
    "c": ["00000", "00000", "01110", "10000", "10000", "10001", "01110"],
    "o": ["00000", "00000", "01110", "10001", "10001", "10001", "01110"],
    "n": ["00000", "00000", "10110", "11001", "10001", "10001", "10001"],
    "v": ["00000", "00000", "10001", "10001", "10001", "01010", "00100"],
    "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "x": ["00000", "00000", "10001", "01010", "00100", "01010", "10001"],
}


def lineart():
    h, w = 120, 200
    img = np.ones((h, w))
    y, x = np.mgrid[0:h, 0:w].astype(float)
    # Thin anti-aliased lines at several angles from a common origin.
    for angle in np.deg2rad([0, 10, 25, 45, 60, 80, 90]):
        d = np.abs((x - 10) * np.sin(angle) + (y - 110) * np.cos(angle))
        along = (x - 10) * np.cos(angle) - (y - 110) * np.sin(angle)
        ink = np.clip(1.0 - d, 0, 1) * ((along >= 0) & (along <= 95))
        img = np.minimum(img, 1 - ink)
    # Circles of 1-pixel stroke.
    for r in (8, 14, 20):
        d = np.abs(np.hypot(x - 150, y - 85) - r)
        img = np.minimum(img, 1 - np.clip(1.0 - d, 0, 1))
    # A checkerboard of 2-pixel squares.
    cb = ((x // 2 + y // 2) % 2 == 0) & (x >= 60) & (x < 84) & (y >= 10) & (y < 34)
    img[cb] = 0
    # Text at 2x: "tconv x2" and "01234".
    def text(s, ox, oy, scale=2):
        for i, ch in enumerate(s):
            if ch == " ":
                continue
            for r, bits in enumerate(FONT[ch]):
                for col, b in enumerate(bits):
                    if b == "1":
                        yy, xx = oy + r * scale, ox + (i * 6 + col) * scale
                        img[yy:yy + scale, xx:xx + scale] = 0
    text("tconv x2", 100, 10)
    text("01234", 100, 30)
    write_png("lineart.png", np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8))


def logo_rgba():
    n = 160
    y, x = np.mgrid[0:n, 0:n].astype(float) + 0.5
    r = np.hypot(x - 80, y - 80)
    disk = np.clip(55 - r, 0, 1)                      # anti-aliased disk edge
    ring = np.clip(1.5 - np.abs(r - 68), 0, 1)        # thin ring outside it
    alpha = np.maximum(disk, ring)
    t = np.clip((x + y) / (2 * n), 0, 1)
    color = np.stack([0.9 - 0.6 * t, 0.2 + 0.3 * t, 0.3 + 0.6 * t], -1)  # magenta to blue
    color = np.where(ring[..., None] > disk[..., None], np.array([0.95, 0.6, 0.1]), color)
    rgb = np.where(alpha[..., None] > 0, color, np.array([0.0, 1.0, 0.0]))  # pure green under alpha 0
    rgba = np.concatenate([rgb, alpha[..., None]], -1)
    write_png("logo_rgba.png", np.clip(rgba * 255 + 0.5, 0, 255).astype(np.uint8))


def gradient16():
    h, w = 128, 192
    y, x = np.mgrid[0:h, 0:w].astype(float)
    ramp = x / (w - 1)
    low_contrast = 0.004 * np.sin(x / 6.0) * np.cos(y / 9.0)  # ~1 step at 8 bits
    smooth = 0.5 + 0.5 * np.sin(np.pi * (ramp - 0.5)) * (0.8 + 0.2 * (y / (h - 1)))
    v = np.where(y < h // 2, ramp, smooth) + low_contrast
    write_png("gradient16.png", np.clip(v * 65535 + 0.5, 0, 65535).astype(np.uint16))


def gray_alpha():
    n = 64
    y, x = np.mgrid[0:n, 0:n].astype(float) + 0.5
    r = np.hypot(x - 32, y - 32)
    alpha = np.clip((26 - r) / 3.0, 0, 1)
    gray = 0.2 + 0.6 * (x / n)
    ga = np.stack([gray, alpha], -1)
    write_png("gray_alpha.png", np.clip(ga * 255 + 0.5, 0, 255).astype(np.uint8))


if __name__ == "__main__":
    photo()
    zoneplate()
    lineart()
    logo_rgba()
    gradient16()
    gray_alpha()
    for f in sorted(os.listdir(HERE)):
        if f.endswith(".png"):
            print(f"{f}: {os.path.getsize(os.path.join(HERE, f))} bytes")
