#!/usr/bin/env python3
"""Build the bundled Fashion-MNIST subset in data/fashion-mnist/ from the original idx files.

Source: Debian's `dataset-fashion-mnist` package (`apt-get install dataset-fashion-mnist`), which ships
Zalando's original files under /usr/share/datasets/fashion-mnist (MIT licence). Usage:

    python data/build_fashion_mnist.py [--src /usr/share/datasets/fashion-mnist] [--per-class 4000]

Keeps the first `per_class` training images of each class (in the original order) and the whole test
split, stores each array as an xz-compressed .npy, and writes MANIFEST.json with counts and sha256.
The output is deterministic: the same source files always give the same bytes.
"""
import argparse, gzip, hashlib, io, json, lzma
from pathlib import Path
import numpy as np

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

def read_idx(path):
    "Read an idx1/idx3 ubyte file (gzipped) into a uint8 array."
    raw = gzip.open(path).read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)

def balanced_subset(labels, per_class):
    "Indices of the first `per_class` examples of each class, in the original order."
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(len(CLASSES))])
    return np.sort(keep)

def write_xz(arr, path):
    buf = io.BytesIO(); np.save(buf, arr, allow_pickle=False)
    data = lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()

def main(src, out, per_class):
    src, out = Path(src), Path(out); out.mkdir(parents=True, exist_ok=True)
    manifest = {"name": "fashion-mnist", "source": "https://github.com/zalandoresearch/fashion-mnist "
                "(via Debian package dataset-fashion-mnist)", "licence": "MIT", "classes": CLASSES,
                "image_shape": [28, 28], "dtype": "uint8", "splits": {}, "files": {}}
    for split, prefix, n in [("train", "train", per_class), ("test", "t10k", None)]:
        x, y = read_idx(src / f"{prefix}-images-idx3-ubyte.gz"), read_idx(src / f"{prefix}-labels-idx1-ubyte.gz")
        if n is not None:
            keep = balanced_subset(y, n); x, y = x[keep], y[keep]
        manifest["splits"][split] = {"count": int(len(y)), "per_class": np.bincount(y, minlength=10).tolist()}
        for kind, arr in [("images", x), ("labels", y)]:
            fn = f"{split}-{kind}.npy.xz"
            manifest["files"][fn] = write_xz(np.ascontiguousarray(arr), out / fn)
            print(f"{fn}: {arr.shape} {(out / fn).stat().st_size / 1e6:.2f} MB")
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=str(Path(__file__).parent / "fashion-mnist"))
    ap.add_argument("--per-class", type=int, default=4000)
    a = ap.parse_args(); main(a.src, a.out, a.per_class)
