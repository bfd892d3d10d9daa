#!/usr/bin/env python3
"""Build Flattr's old static button images as small PNGs (static/legacy/*.png).

READMEs, feeds and pages without scripts still point at Flattr's static images:
`button/flattr-badge-large.png` (93x20), `button/button-static-50x60.png` and
`button/button-compact-static-100x17.png`, at api.flattr.com/button/ and (2016+)
button.flattr.com/ at the root. This script draws them at those exact sizes in our colours, with
a built-in 5x7 pixel font, and writes indexed PNGs of a few hundred bytes. It needs nothing
beyond the standard library, and its output is byte-for-byte reproducible: the PNGs are
committed, and tests/flattr/test_legacy_markup.py checks they equal what this script makes.

    python bin/build_legacy_badges.py          # rewrite static/legacy/*.png
    python bin/build_legacy_badges.py --check  # exit 1 if a committed PNG is stale
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent.parent / "static" / "legacy"

# Palette: index 0 transparent, then the site's colours (static/css/site.css).
PALETTE = [
    (255, 255, 255),  # 0 transparent (see tRNS)
    (61, 122, 31),  # 1 green #3d7a1f: the flattr action
    (179, 79, 0),  # 2 orange #b34f00: counts and highlights
    (255, 255, 255),  # 3 white
    (34, 34, 34),  # 4 dark text
    (47, 94, 24),  # 5 darker green (edge)
]
TRANSPARENT, GREEN, ORANGE, WHITE, DARK, EDGE = range(6)

GLYPHS = {
    "F": ["#####", "#....", "#....", "####.", "#....", "#....", "#...."],
    "l": ["##", ".#", ".#", ".#", ".#", ".#", "###"],
    "a": [".....", ".....", ".###.", "....#", ".####", "#...#", ".####"],
    "t": [".#..", ".#..", "####", ".#..", ".#..", ".#..", "..##"],
    "r": ["....", "....", "#.##", "##..", "#...", "#...", "#..."],
    "h": ["#...", "#...", "#.#.", "##.#", "#..#", "#..#", "#..#"],
    "i": [".#", "..", "##", ".#", ".#", ".#", "###"],
    "s": ["....", "....", ".###", "#...", ".##.", "...#", "###."],
    "!": ["#", "#", "#", "#", "#", ".", "#"],
    " ": ["..", "..", "..", "..", "..", "..", ".."],
}
CHECK = [
    "......#",
    ".....##",
    "#...##.",
    "##.##..",
    ".###...",
    "..#....",
    ".......",
]


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.pixels = [[TRANSPARENT] * width for _ in range(height)]

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: int, radius: int = 0) -> None:
        """Fill [x0, x1) x [y0, y1), with corners cut off by `radius` (a pixel staircase)."""
        for y in range(y0, y1):
            for x in range(x0, x1):
                dx = max(x0 + radius - 1 - x, x - (x1 - radius), 0)
                dy = max(y0 + radius - 1 - y, y - (y1 - radius), 0)
                if radius and dx * dx + dy * dy > (radius - 0.5) ** 2:
                    continue
                self.pixels[y][x] = colour

    def bitmap(self, rows: list[str], x: int, y: int, colour: int) -> int:
        for dy, row in enumerate(rows):
            for dx, bit in enumerate(row):
                if bit == "#":
                    self.pixels[y + dy][x + dx] = colour
        return len(rows[0])

    def text(self, words: str, x: int, y: int, colour: int) -> int:
        for char in words:
            x += self.bitmap(GLYPHS[char], x, y, colour) + 1
        return x

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.pixels)

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 3, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"PLTE", b"".join(bytes(colour) for colour in PALETTE))
            + chunk(b"tRNS", b"\x00")
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def text_width(words: str) -> int:
    return sum(len(GLYPHS[char][0]) + 1 for char in words) - 1


def badge_large() -> Canvas:
    """93x20: an orange check mark tab and "Flattr this!" on green (README badges)."""
    canvas = Canvas(93, 20)
    canvas.rect(0, 0, 93, 20, EDGE, radius=3)
    canvas.rect(1, 1, 92, 19, GREEN, radius=2)
    canvas.rect(1, 1, 20, 19, ORANGE, radius=2)
    canvas.rect(17, 1, 20, 19, ORANGE)
    canvas.bitmap(CHECK, 7, 7, WHITE)
    words = "Flattr this!"
    canvas.text(words, 20 + (72 - text_width(words)) // 2, 7, WHITE)
    return canvas


def button_static_large() -> Canvas:
    """50x60: the large button without its live count (a white count box above "Flattr")."""
    canvas = Canvas(50, 60)
    canvas.rect(0, 0, 50, 40, ORANGE, radius=3)
    canvas.rect(2, 2, 48, 38, WHITE, radius=2)
    canvas.bitmap(CHECK, 21, 15, ORANGE)
    canvas.rect(0, 42, 50, 60, EDGE, radius=3)
    canvas.rect(1, 43, 49, 59, GREEN, radius=2)
    canvas.text("Flattr", (50 - text_width("Flattr")) // 2, 47, WHITE)
    return canvas


def button_static_compact() -> Canvas:
    """100x17: the compact button without its count (green "Flattr", empty count box)."""
    canvas = Canvas(100, 17)
    canvas.rect(0, 0, 56, 17, EDGE, radius=3)
    canvas.rect(1, 1, 55, 16, GREEN, radius=2)
    x = canvas.bitmap(CHECK, 5, 5, WHITE) + 5 + 3
    canvas.text("Flattr", x, 5, WHITE)
    canvas.rect(59, 0, 100, 17, ORANGE, radius=3)
    canvas.rect(60, 1, 99, 16, WHITE, radius=2)
    canvas.bitmap(CHECK, 76, 5, ORANGE)
    return canvas


IMAGES = {
    "flattr-badge-large.png": badge_large,
    "button-static-50x60.png": button_static_large,
    "button-compact-static-100x17.png": button_static_compact,
}


def build() -> dict[str, bytes]:
    """Return {file name: PNG bytes} for every old image."""
    return {name: draw().png() for name, draw in IMAGES.items()}


def main(argv: list[str]) -> int:
    images = build()
    if "--check" in argv:
        stale = [n for n, data in images.items() if _read(OUT_DIR / n) != data]
        for name in stale:
            print(f"stale: static/legacy/{name} (run bin/build_legacy_badges.py)")
        return 1 if stale else 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (OUT_DIR / name).write_bytes(data)
        print(f"static/legacy/{name}: {len(data)} bytes")
    return 0


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
