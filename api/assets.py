"""Fetch GraphiQL's JS/CSS at set-up so GET /graphql works with no internet.

Run as ``python -m api.assets`` (the Makefile does). Uses the npm client against the npm
registry by package name, checks each tarball against its pinned sha512 integrity, and copies
the four files GraphiQL needs into api/static/graphiql/. Without npm it says so and leaves
the directory empty: the page then falls back to loading GraphiQL from its CDN.
"""

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent / "static" / "graphiql"

# package@version: (sha512 integrity of the tarball, {file in tarball: file name served})
PINNED = {
    "graphiql@3.9.0": (
        "sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA==",
        {"package/graphiql.min.js": "graphiql.min.js", "package/graphiql.min.css": "graphiql.min.css"},
    ),
    "react@18.3.1": (
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        {"package/umd/react.production.min.js": "react.production.min.js"},
    ),
    "react-dom@18.3.1": (
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        {"package/umd/react-dom.production.min.js": "react-dom.production.min.js"},
    ),
}

FILES = [name for _, files in PINNED.values() for name in files.values()]


def present() -> bool:
    return all((ASSET_DIR / name).is_file() for name in FILES)


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def install() -> int:
    if present():
        print("graphiql assets: already installed")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print("graphiql assets: npm not found; GET /graphql will load GraphiQL from its CDN")
        return 0
    ASSET_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec, (integrity, files) in PINNED.items():
            subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [npm, "pack", spec, "--silent"], cwd=tmp, check=True, capture_output=True
            )
            name, _, version = spec.rpartition("@")
            tarball = Path(tmp) / f"{name}-{version}.tgz"
            if _integrity(tarball) != integrity:
                print(f"graphiql assets: {spec} does not match its pinned integrity", file=sys.stderr)
                return 1
            with tarfile.open(tarball) as archive:
                for member, target in files.items():
                    source = archive.extractfile(member)
                    if source is None:
                        print(f"graphiql assets: {member} missing in {spec}", file=sys.stderr)
                        return 1
                    (ASSET_DIR / target).write_bytes(source.read())
    print(f"graphiql assets: installed in {ASSET_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(install())
