#!/usr/bin/env bash
# Build the SuperLink or SuperNode appliance image with Packer (packer/appliance.pkr.hcl): prepares the offline
# inputs (wheelhouse with the frameworks, collection archive, and in CI the Debian 12 base disk), then runs
# `packer build` with the qemu builder (a QCOW2 for OpenNebula) or the docker builder (a systemd container image).
#
# Usage: images/build-image.sh ROLE [options]           ROLE: superlink | supernode
#   --builder qemu|docker   default qemu
#   --var-file FILE         extra Packer variables (repeatable), e.g. packer/production.pkrvars.hcl; without one
#                           that sets base_disk, the CI base disk (images/base/debian12.sh qcow2) is used,
#                           with TCG
#   --frameworks a,b        frameworks to bake in (default: packer/ROLE.pkrvars.hcl's; sklearn on the CI base disk)
#   --flower-version X      Flower release to bake in (default: a var file's flower_version, else the newest the
#                           collection supports); one the collection does not support is refused before any build
#   --out DIR               default build/images/ROLE (the QCOW2, its serial log, Packer's log and manifest,
#                           build.json), build/images/ROLE-docker for the docker builder
#   --force                 build even when DIR holds an image built from the same inputs
# The last line of stdout is the QCOW2 path (qemu) or the image name (docker).
# Packer 1.6.6 (Debian) is pointed at appliance.pkr.hcl alone; plugins.pkr.hcl is for Packer 1.7+.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/opennebula-flower
role=${1:-}
case $role in superlink|supernode) shift ;; *) sed -n '2,18p' "$0" >&2; exit 2 ;; esac
builder=qemu out="" force="" frameworks="" flower_version="" var_files=()
while [ $# -gt 0 ]; do
  case $1 in
    --builder) builder=$2; shift 2 ;;
    --var-file) var_files+=("$(realpath "$2")"); shift 2 ;;
    --frameworks) frameworks=$2; shift 2 ;;
    --flower-version) flower_version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --force) force=1; shift ;;
    *) echo "build-image: unknown argument $1 (see $0 without arguments)" >&2; exit 2 ;;
  esac
done
case $builder in qemu|docker) ;; *) echo "build-image: --builder is qemu or docker, not $builder" >&2; exit 2 ;; esac
default_out=$REPO/build/images/$role
[ "$builder" = qemu ] || default_out=$default_out-docker
out=$(realpath -m "${out:-$default_out}")
say() { printf 'build-image[%s]: %s\n' "$role" "$*" >&2; }
t0=$SECONDS
cd "$REPO"

# The Flower release, checked against the collection's table of supported releases
# (plugins/module_utils/_flower_layouts.py), whose newest is the default.
[ -n "$flower_version" ] || flower_version=$(sed -n 's/^ *flower_version *= *"\([^"]*\)".*/\1/p' \
  "${var_files[@]+"${var_files[@]}"}" /dev/null | tail -n1)
flower_version=$(python3 -c '
import sys
from ansible_collections.opennebula.flower.plugins.module_utils import _flower_layouts as table
release = sys.argv[1] or table.default_release()
why = table.problem(release)
print("flower_version=%s %s" % (release, why) if why else release)
sys.exit(2 if why else 0)' "$flower_version") || { say "$flower_version"; exit 2; }
say "Flower $flower_version"

# Frameworks: the option, else scikit-learn only on the CI base disk (the CI variant: as small as it can be), else
# the role's variables file.
ci_base=""
if [ "$builder" = qemu ] && ! grep -qs '^ *base_disk *=' "${var_files[@]+"${var_files[@]}"}" /dev/null; then ci_base=1; fi
if [ -z "$frameworks" ] && [ -n "$ci_base" ]; then frameworks=sklearn; fi
if [ -z "$frameworks" ]; then
  frameworks=$(sed -n 's/^frameworks *= *\[\(.*\)\]/\1/p' "packer/$role.pkrvars.hcl" | tr -d '" ')
fi
reqs=(images/requirements-appliance.txt)
IFS=, read -r -a fws <<<"$frameworks"
for fw in "${fws[@]}"; do
  req=roles/appliance/files/requirements-framework-$fw.txt
  [ -f "$req" ] || { say "unknown framework $fw; allowed: pytorch, tensorflow, sklearn"; exit 2; }
  reqs+=("$req")
done
fw_json="[$(printf '"%s",' "${fws[@]}" | sed 's/,$//')]"

wheels=$(images/wheelhouse.sh "${reqs[@]}" | tail -n1)
mkdir -p "$out" "$CACHE_DIR"
wheel_tar=$CACHE_DIR/$(basename "$wheels").tar
[ -f "$wheel_tar" ] || { tar -C "$wheels" -cf "$wheel_tar.part" . && mv "$wheel_tar.part" "$wheel_tar"; }

# The collection, as much of it as the image needs (the appliance role's appliance_collection_content, the
# requirement files): git-tracked files plus untracked files git does not ignore.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git ls-files -z --cached --others --exclude-standard -- galaxy.yml meta plugins roles playbooks apps \
    requirements.txt 'images/requirements-*.txt' \
  | python3 -c '
import os, sys
names = sorted(set(n for n in sys.stdin.buffer.read().decode().split("\0") if n and os.path.isfile(n)))
sys.stdout.write("".join(n + "\0" for n in names))' >"$work/files"
tar --null -T "$work/files" --owner=0 --group=0 --mtime=@0 --sort=name -cf "$work/collection.tar"

args=(-var "appliance_role=$role" -var-file "packer/$role.pkrvars.hcl")
args+=(-var "frameworks=$fw_json")
args+=(-var "wheelhouse_archive=$wheel_tar" -var "collection_archive=$work/collection.tar")
for f in "${var_files[@]+"${var_files[@]}"}"; do args+=(-var-file "$f"); done
args+=(-var "flower_version=$flower_version")
base_key=""
if [ "$builder" = qemu ]; then
  if [ -n "$ci_base" ]; then
    base=$(images/base/debian12.sh qcow2 | tail -n1)
    base_key=$(cat "$base/KEY")
    args+=(-var "base_disk=file://$base/disk.qcow2" -var "ssh_private_key_file=$base/packer_ed25519"
      -var accelerator=tcg)
  else
    # A cloud image: cloud-init lets root in with a key made for this build (removed from the image at the end).
    ssh-keygen -q -t ed25519 -N '' -C packer-build -f "$work/packer_ed25519"
    mkdir -p "$work/seed"
    printf '#cloud-config\ndisable_root: false\nusers:\n  - name: root\n    ssh_authorized_keys:\n      - %s\n' \
      "$(cat "$work/packer_ed25519.pub")" >"$work/seed/user-data"
    printf 'instance-id: packer-build\nlocal-hostname: packer-build\n' >"$work/seed/meta-data"
    args+=(-var "ssh_private_key_file=$work/packer_ed25519"
      -var "cloud_init_seed=[\"$work/seed/user-data\", \"$work/seed/meta-data\"]")
  fi
  args+=(-var "image_name=flower-$role.qcow2")
else
  base=$(images/base/debian12.sh docker | tail -n1)
  base_key=$(/usr/bin/docker image inspect --format '{{ index .Config.Labels "org.opennebula.flower.base-key" }}' "$base")
  args+=(-var "docker_base_image=$base")
fi
args+=(-var "output_directory=$out/packer")

# Cache key: every input of the build.
key=$( { sha256sum <"$work/collection.tar"; cat "$wheels/KEY"; echo "$base_key $builder"; printf '%s\n' "${args[@]}" \
  | grep -v '_archive='; cat "${var_files[@]+"${var_files[@]}"}" packer/*.pkr.hcl packer/appliance.yml "$0"; } | sha256sum | cut -c1-16)
artifact=$out/flower-$role.qcow2
[ "$builder" = qemu ] || artifact=local/flower-$role:latest
if [ -z "$force" ] && [ -f "$out/build.json" ] && grep -q "\"key\": \"$key\"" "$out/build.json" \
   && { [ -f "$artifact" ] || /usr/bin/docker image inspect "$artifact" >/dev/null 2>&1; }; then
  say "up to date (key $key)"
  echo "$artifact"
  exit 0
fi

# Packer's docker builder calls `docker`: Debian's client (another one may come first in PATH).
mkdir -p "$work/bin"; ln -s /usr/bin/docker "$work/bin/docker"
export PATH=$work/bin:$REPO/.venv/bin:$PATH CHECKPOINT_DISABLE=1 PACKER_NO_COLOR=1 PACKER_CACHE_DIR=$CACHE_DIR/packer_cache
rm -rf "$out/packer" "$out/packer-serial.log" "$out/packer-os-release"
say "packer build -only=$builder.appliance (key $key)"
start=$SECONDS
PACKER_LOG=${PACKER_LOG:-} packer build -color=false -only="$builder.appliance" "${args[@]}" packer/appliance.pkr.hcl >"$out/packer.log" 2>&1 \
  || { tail -n 60 "$out/packer.log" >&2; say "packer build failed (log: $out/packer.log)"; exit 1; }
seconds=$((SECONDS - start))
if [ "$builder" = qemu ]; then
  mv -f "$out/packer/flower-$role.qcow2" "$artifact"
  rmdir "$out/packer" 2>/dev/null || true
fi
cat >"$out/build.json" <<EOF
{"role": "$role", "builder": "$builder", "key": "$key", "build_seconds": $seconds, "flower_version": "$flower_version",
 "frameworks": $fw_json,
 "artifact": "$artifact", "finished": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF
say "built $artifact in ${seconds}s (all in $((SECONDS - t0))s)"
echo "$artifact"
