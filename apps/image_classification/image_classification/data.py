"""Images of one SuperNode, from its data directory: arrays (images.npz with x, y) or a folder of PNG files
(images/<class index>/*.png, read with Pillow). Pixels are scaled to [0, 1]; the last 20% is the test split.
The demo data (no download) is a shard of scikit-learn's bundled 8x8 digits, written as arrays."""

from pathlib import Path

import numpy as np

TEST_FRACTION = 0.2


def _from_folder(folder: Path, size: int):
    from PIL import Image  # only needed for image folders

    xs, ys = [], []
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for image in sorted(class_dir.glob("*.png")):
            with Image.open(image) as img:
                xs.append(np.asarray(img.convert("L").resize((size, size)), dtype=np.float32) / 255.0)
            ys.append(int(class_dir.name))
    return np.stack(xs), np.array(ys, dtype=np.int64)


def _from_arrays(path: Path):
    with np.load(path) as arrays:
        x, y = arrays["x"].astype(np.float32), arrays["y"].astype(np.int64)
    return (x / 255.0 if x.max() > 1.0 else x), y


def load(data_dir, arrays_name="images.npz", folder_name="images", size=8):
    """(x_train, y_train, x_test, y_test) with x shaped (n, size, size)."""
    data_dir = Path(data_dir)
    if (data_dir / arrays_name).is_file():
        x, y = _from_arrays(data_dir / arrays_name)
    elif (data_dir / folder_name).is_dir():
        x, y = _from_folder(data_dir / folder_name, size)
    else:
        raise FileNotFoundError("image classification: neither %s nor %s/ in this node's data directory %s "
                                "(node config data-dir)" % (arrays_name, folder_name, data_dir))
    if x.shape[1:] != (size, size):
        raise ValueError("image classification: images are %s, run config image-size=%d wants %dx%d"
                         % ("x".join(map(str, x.shape[1:])), size, size, size))
    split = int(len(x) * (1 - TEST_FRACTION))
    return x[:split], y[:split], x[split:], y[split:]


def write_demo_shard(data_dir, partition, partitions, seed=42):
    """Write shard `partition` of `partitions` of scikit-learn's bundled digits as data_dir/images.npz."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(x))
    idx = np.array_split(order, partitions)[partition]
    path = Path(data_dir) / "images.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=(x[idx].reshape(-1, 8, 8) / 16.0).astype(np.float32), y=y[idx])
    return path


if __name__ == "__main__":  # python data.py DATA_DIR PARTITION PARTITIONS: one SuperNode's demo shard (local mode)
    import sys

    print(write_demo_shard(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
