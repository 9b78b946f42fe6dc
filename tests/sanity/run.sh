#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection laid out as ansible_collections/opennebula/flower, which
# ansible-test requires. Works offline: pip's bootstrap script comes from tests/sanity/get_pip_stand_in.py.
set -euo pipefail
venv=$(cd "${1:-.venv}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)

cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp "$repo/tests/sanity/get_pip_stand_in.py" "$cache/get_pip_24_2.py"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/opennebula/flower"
mkdir -p "$dest"
cd "$repo"
# The ansible_collections link is a development convenience (build_ignore keeps it out of the artifact).
git ls-files -co --exclude-standard | grep -v '^ansible_collections/' | while read -r f; do
  [ -e "$f" ] && cp --parents -P "$f" "$dest/"
done
cd "$dest"
"$venv/bin/ansible-test" sanity --venv --python 3.11 --color no "${@:2}"
