"""Every dataset of an HDF5 file as raw bytes, for the tests that compare files bit for bit.

As a module (tests put $HADAL_SRC/tests on sys.path): datasets(path, group="/") returns
{name: bytes} for every dataset below group, names relative to it.
As a script: h5_datasets.py FILE [GROUP] prints one line per dataset, sorted: name, dtype, shape
and the SHA-256 of its bytes, so two files compare with a plain string comparison or diff.
"""
import hashlib
import sys

import h5py


def _walk(path, group):
    with h5py.File(path, "r") as f:
        found = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found[name] = obj[()]

        f[group].visititems(visit)
        return found


def datasets(path, group="/"):
    return {name: value.tobytes() for name, value in _walk(path, group).items()}


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: h5_datasets.py FILE [GROUP]")
    found = _walk(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "/")
    for name in sorted(found):
        d = found[name]
        print(name, d.dtype.str, d.shape, hashlib.sha256(d.tobytes()).hexdigest())


if __name__ == "__main__":
    main()
