#!/usr/bin/env bash
# Build a wheelhouse (a directory of wheels, for `pip install --no-index --find-links DIR`) from requirement
# files, on the host, with the host's /usr/bin/python3 (3.11, the same Python and glibc as the Debian 12 images,
# so the wheels match). Cached: the directory is keyed by a hash of the requirement files (following -r/-c
# includes), the Python version and the platform; a second run with the same inputs does nothing.
#
# Usage: images/wheelhouse.sh [-o DIR] REQUIREMENTS...
#   Without -o the wheelhouse is ${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower/wheels-<key>.
#   The last line of stdout is the wheelhouse directory; it holds KEY (the key) and requirements.lock
#   (name==version of every wheel). FORCE=1 rebuilds.
# Example: images/wheelhouse.sh images/requirements-appliance.txt
set -euo pipefail

PYTHON=${WHEELHOUSE_PYTHON:-/usr/bin/python3}
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower
out=""
reqs=()
while [ $# -gt 0 ]; do
  case $1 in
    -o) out=$2; shift 2 ;;
    -o*) out=${1#-o}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) reqs+=("$1"); shift ;;
  esac
done
[ ${#reqs[@]} -gt 0 ] || { echo "usage: $0 [-o DIR] REQUIREMENTS..." >&2; exit 2; }
say() { printf 'wheelhouse: %s\n' "$*" >&2; }
t0=$SECONDS

# Key: the content of every requirement file, with its -r/-c includes, plus the interpreter and platform.
KEY=$("$PYTHON" - "${reqs[@]}" <<'PY'
import hashlib, os, platform, sys, sysconfig
h = hashlib.sha256()
seen = set()
def feed(path):
    path = os.path.realpath(path)
    if path in seen:
        return
    seen.add(path)
    with open(path, 'rb') as f:
        data = f.read()
    h.update(os.path.basename(path).encode() + b'\0' + data + b'\0')
    for line in data.decode().splitlines():
        parts = line.split('#', 1)[0].split()
        if len(parts) >= 2 and parts[0] in ('-r', '--requirement', '-c', '--constraint'):
            feed(os.path.join(os.path.dirname(path), parts[1]))
for p in sys.argv[1:]:
    feed(p)
h.update(f'{platform.python_version()} {sysconfig.get_platform()} {platform.libc_ver()}'.encode())
print(h.hexdigest()[:16])
PY
)
out=${out:-$CACHE_DIR/wheels-$KEY}

if [ -z "${FORCE:-}" ] && [ -f "$out/KEY" ] && [ "$(cat "$out/KEY")" = "$KEY" ]; then
  say "$out is up to date (key $KEY)"
  echo "$out"
  exit 0
fi

mkdir -p "$CACHE_DIR"
# pip from a virtualenv of the host's Python (Debian's python3 has no pip of its own).
tools=$CACHE_DIR/wheelhouse-pip-$("$PYTHON" -c 'import platform; print(platform.python_version())')
if [ ! -x "$tools/bin/pip" ]; then
  say "creating $tools"
  "$PYTHON" -m venv "$tools"
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
part=$out.part.$$
rm -rf "$part"; mkdir -p "$part"
trap 'rm -rf "$part"' EXIT
say "building wheels for ${reqs[*]} (key $KEY)"
req_args=(); for r in "${reqs[@]}"; do req_args+=(-r "$r"); done
# pip wheel downloads wheels and builds those only published as sdists.
# (Host-specific pip.conf locations that do not exist only add noise: filtered.)
quiet() { "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' >&2 || true; }; }
quiet "$tools/bin/pip" wheel -q --prefer-binary -w "$part" "${req_args[@]}"
# The wheelhouse must be complete on its own: resolve again with no index.
quiet "$tools/bin/pip" install -q --dry-run --ignore-installed --no-index --find-links "$part" "${req_args[@]}"
( cd "$part" && for w in *.whl; do n=${w%%-[0-9]*}; v=${w#"$n"-}; echo "${n}==${v%%-*}"; done ) | sort >"$part/requirements.lock"
echo "$KEY" >"$part/KEY"
rm -rf "$out"; mv "$part" "$out"
trap - EXIT
say "$(find "$out" -name '*.whl' | wc -l) wheels, $(du -sh "$out" | cut -f1) in $((SECONDS - t0))s"
echo "$out"
