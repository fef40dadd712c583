"""The figures behind PHOTO_MATCH_DISTANCE: pHash distances of copies vs. different photos.

Builds photo-like pictures with Pillow (gradient, blocks, grain; fixed seeds), then prints
the Hamming distance (of 64 bits) between each picture and its re-encoded, resized,
brightened and cropped copies, and between different pictures, also of a similar scene
(same background and palette, blocks elsewhere); then the time to hash a 12-megapixel JPEG
and to compare one hash with 100,000 stored ones.

Run from the repository root: python -m bench.photo_hash
"""
import io
import itertools
import random
import time

from PIL import Image, ImageDraw, ImageEnhance

from workflow.core.photo_hash import DEFAULT_MATCH_DISTANCE, distance, examine

N = 30


def scene(background_seed, shapes_seed=None, size=(1024, 768)):
    rnd = random.Random(background_seed)
    top, bottom = (tuple(rnd.randint(60, 220) for _ in range(3)) for _ in range(2))
    ramp = Image.linear_gradient("L").resize(size)
    img = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)
    palette = [tuple(rnd.randint(0, 255) for _ in range(3)) for _ in range(10)]
    place = random.Random(background_seed if shapes_seed is None else shapes_seed)
    draw = ImageDraw.Draw(img)
    w, h = size
    for i, colour in enumerate(palette):
        x, y = place.randint(0, w - 60), place.randint(0, h - 60)
        box = [x, y, x + place.randint(40, w // 2), y + place.randint(40, h // 2)]
        (draw.rectangle if i % 2 else draw.ellipse)(box, fill=colour)
    grain = Image.frombytes("L", size, random.Random(7).randbytes(w * h)).convert("RGB")
    return Image.blend(img, grain, 0.12)


def jpeg(img, quality=90):
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def h(img, quality=90):
    return examine(jpeg(img, quality)).phash


def scaled(img, s):
    return img.resize((int(img.width * s), int(img.height * s)))


def crop(img, left, top, right, bottom):
    w, hh = img.size
    return img.crop((int(w * left), int(hh * top), int(w * (1 - right)), int(hh * (1 - bottom))))


def line(name, values):
    within = sum(v <= DEFAULT_MATCH_DISTANCE for v in values)
    print(f"  {name:<40} min {min(values):2d}  max {max(values):2d}  mean {sum(values) / len(values):5.1f}"
          f"  caught at ≤{DEFAULT_MATCH_DISTANCE}: {within}/{len(values)}")


pictures = [scene(s) for s in range(N)]
base = [h(p, 92) for p in pictures]
print(f"{N} pictures, 1024×768; Hamming distance of 64-bit pHash")
print("copies (should be caught):")
for name, make in [("re-encoded q40, 50 %", lambda p: (scaled(p, .5), 40)),
                   ("re-encoded q60, 75 %", lambda p: (scaled(p, .75), 60)),
                   ("re-encoded q75, 33 %", lambda p: (scaled(p, .33), 75)),
                   ("re-encoded q95, 130 %", lambda p: (scaled(p, 1.3), 95)),
                   ("20 % brighter", lambda p: (ImageEnhance.Brightness(p).enhance(1.2), 90)),
                   ("3 % cut off one side", lambda p: (crop(p, .03, 0, 0, 0), 90)),
                   ("5 % cut off every side (pHash's limit)",
                    lambda p: (crop(p, .05, .05, .05, .05), 90))]:
    line(name, [distance(b, h(*make(p))) for b, p in zip(base, pictures)])
print("not the same photo (should not be caught):")
line("similar scene, blocks elsewhere", [distance(h(scene(s, 1000 + s)), h(scene(s, 2000 + s)))
                                         for s in range(N)])
line("different pictures (all pairs)", [distance(a, b) for a, b in itertools.combinations(base, 2)])

big = jpeg(scene(1, size=(4000, 3000)), 90)
t0 = time.perf_counter()
for _ in range(5):
    examine(big)
hash_ms = (time.perf_counter() - t0) / 5 * 1000
stored = [f"{random.getrandbits(64):016x}" for _ in range(100_000)]
t0 = time.perf_counter()
hits = sum(distance(base[0], s) <= DEFAULT_MATCH_DISTANCE for s in stored)
compare_ms = (time.perf_counter() - t0) * 1000
print(f"hash a 12-megapixel JPEG ({len(big) / 1e6:.1f} MB): {hash_ms:.0f} ms; "
      f"compare with 100,000 stored hashes: {compare_ms:.0f} ms ({hits} random hits)")
