"""Draws Haven's own artifact icons, served by GET /api/v2.0/icons/{digest} (src/api/icons.c):
50x50 PNGs, a coloured rounded square with a white letter.  Prints the C rows of icons.c's
table (base64 of each PNG); run it again after changing a drawing, paste the rows in and
run clang-format on the file.

    python3 scripts/make_icons.py
"""
import base64
import struct
import zlib

FONT = {  # 5x7
    "I": ["11111","00100","00100","00100","00100","00100","11111"],
    "H": ["10001","10001","10001","11111","10001","10001","10001"],
    "C": ["01110","10001","10000","10000","10000","10001","01110"],
    "W": ["10001","10001","10001","10101","10101","11011","10001"],
    "A": ["01110","10001","10001","11111","10001","10001","10001"],
    "S": ["01111","10000","10000","01110","00001","00001","11110"],
    "N": ["10001","11001","10101","10011","10001","10001","10001"],
    "Y": ["10001","10001","01010","00100","00100","00100","00100"],
    "B": ["11110","10001","10001","11110","10001","10001","11110"],
}

def png(letter, rgb, size=50, scale=4):
    glyph = FONT[letter]
    gw, gh = 5 * scale, 7 * scale
    ox, oy = (size - gw) // 2, (size - gh) // 2
    radius = 9
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            # rounded square: outside the corner circles is transparent
            cx = min(max(x, radius), size - 1 - radius)
            cy = min(max(y, radius), size - 1 - radius)
            inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius
            if not inside:
                row += bytes([0, 0, 0, 0])
                continue
            gx, gy = x - ox, y - oy
            on = 0 <= gx < gw and 0 <= gy < gh and glyph[gy // scale][gx // scale] == "1"
            row += bytes([255, 255, 255, 255]) if on else bytes(list(rgb) + [255])
        rows.append(bytes(row))
    raw = b"".join(rows)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")

ICONS = [  # name, letter, colour
    ("IMAGE", "I", (0x1f, 0x6f, 0xb5)),
    ("CHART", "H", (0x0f, 0x16, 0x89)),
    ("CNAB", "C", (0x2e, 0x8b, 0x57)),
    ("WASM", "W", (0x65, 0x4f, 0xf0)),
    ("DEFAULT", "A", (0x6b, 0x72, 0x80)),
    ("COSIGN", "S", (0xd9, 0x77, 0x06)),
    ("NOTATION", "N", (0xb4, 0x23, 0x18)),
    ("NYDUS", "Y", (0x0e, 0x74, 0x90)),
    ("SBOM", "B", (0x7c, 0x3a, 0xed)),
]
if __name__ == "__main__":
    for name, letter, rgb in ICONS:
        b = base64.b64encode(png(letter, rgb)).decode()
        parts = [b[i:i + 76] for i in range(0, len(b), 76)]
        print(f"    {{ICON_{name},")
        print("\n".join(f'     "{p}"' for p in parts[:-1]))
        print(f'     "{parts[-1]}"}},')
