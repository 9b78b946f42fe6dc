#!/usr/bin/env bash
# Build a docker image of an appliance by running a playbook of this collection inside a systemd container.
#
# Usage: images/build-appliance.sh --name IMAGE --playbook PATH [-e k=v]... [options]
#   --name IMAGE          image to produce (e.g. local/flower-superlink:latest)
#   --playbook PATH       playbook, relative to the repository root (e.g. tests/appliance/playbooks/smoke_install.yml)
#   -e k=v | -e JSON      extra vars for ansible-playbook (repeatable)
#   --base IMAGE          base image (default local/debian12-systemd:latest, built by images/base/build-debian12.sh)
#   --requirements FILE   requirement file(s) for the wheelhouse (repeatable; default images/requirements-appliance.txt)
#   --network NET         docker network of the build container (default none: the build is offline; `bridge`
#                         gives it the network, e.g. for apt)
#   --keep-wheels         leave the wheelhouse in the image at /opt/opennebula-flower/wheels
#   --force               build even when an image with the same inputs exists
#   --print-key           print the cache key of these inputs and exit
#
# Inside the image:
#   /opt/opennebula-flower/collections/ansible_collections/opennebula/flower   the collection (git-tracked and
#                                                                           untracked-but-not-ignored files)
#   /opt/opennebula-flower/ansible       virtualenv (--system-site-packages, for python3-apt) with ansible-core and
#                                        cryptography from the wheelhouse; the playbook runs with its python as the
#                                        target interpreter (flower_tls and flower_supernode_key need cryptography)
#   /opt/opennebula-flower/env           shell fragment with the settings to run the collection's playbooks again
#                                        (e.g. from a boot-time context hook): `. /opt/opennebula-flower/env`
# While the playbook runs, PIP_NO_INDEX=1 and PIP_FIND_LINKS=/opt/opennebula-flower/wheels make every pip
# (ansible.builtin.pip included) install from the wheelhouse only.
#
# Cache: the image carries the label org.opennebula.flower.build-key, a hash of the collection's files, the
# wheelhouse key, the base image id, the playbook, the extra vars and this script; when IMAGE exists with the same
# key, nothing is built. The last line of stdout is the image name.
set -euo pipefail

DOCKER=/usr/bin/docker
REPO=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=/opt/opennebula-flower
COLLECTION=$PREFIX/collections/ansible_collections/opennebula/flower
LABEL=org.opennebula.flower.build-key

name="" playbook="" print_key="" base=local/debian12-systemd:latest network=none keep_wheels="" force=""
extra=() reqs=()
while [ $# -gt 0 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --playbook) playbook=$2; shift 2 ;;
    -e|--extra-vars) extra+=("$2"); shift 2 ;;
    --base) base=$2; shift 2 ;;
    --requirements) reqs+=("$2"); shift 2 ;;
    --network) network=$2; shift 2 ;;
    --keep-wheels) keep_wheels=1; shift ;;
    --force) force=1; shift ;;
    --print-key) print_key=1; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "build-appliance: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$name" ] || [ -z "$playbook" ]; then echo "usage: $0 --name IMAGE --playbook PATH [-e k=v]... (see --help)" >&2; exit 2; fi
[ ${#reqs[@]} -gt 0 ] || reqs=("$REPO/images/requirements-appliance.txt")
[[ $name == *:* ]] || name=$name:latest
say() { printf 'build-appliance[%s]: %s\n' "$name" "$*" >&2; }
t0=$SECONDS
cd "$REPO"
[ -f "$playbook" ] || { say "no playbook $playbook in $REPO"; exit 2; }

# Inputs. The base image and the wheelhouse are cached by their own scripts.
"$REPO/images/base/build-debian12.sh" >&2
wheels=$("$REPO/images/wheelhouse.sh" "${reqs[@]}" | tail -n1)
base_id=$("$DOCKER" image inspect --format '{{.Id}}' "$base")
# The collection: git-tracked files plus untracked files git does not ignore, minus the ansible_collections
# link to the repository itself, minus files deleted in the working tree.
filelist=$(mktemp)
container=""
cleanup() {
  rm -f "$filelist"
  [ -z "$container" ] || "$DOCKER" rm -f "$container" >/dev/null 2>&1 || true
}
trap cleanup EXIT
git -C "$REPO" ls-files -z --cached --others --exclude-standard \
  | python3 -c '
import os, sys
names = sorted(set(n for n in sys.stdin.buffer.read().decode().split("\0")
               if n and not n.startswith("ansible_collections/") and os.path.lexists(n)))
sys.stdout.write("".join(n + "\0" for n in names))' >"$filelist"
key_inputs() {
  xargs -0 sha256sum <"$filelist"
  echo "wheels $(cat "$wheels/KEY")"; echo "base $base_id"; echo "playbook $playbook"
  printf 'extra %s\n' "${extra[@]+"${extra[@]}"}"; echo "keep-wheels $keep_wheels"; sha256sum <"$0"
}
key=$(key_inputs | sha256sum | cut -c1-16)
# BUILD_KEY_INPUTS=FILE writes what the key hashes, to see why an image was rebuilt.
[ -z "${BUILD_KEY_INPUTS:-}" ] || key_inputs >"$BUILD_KEY_INPUTS"

[ -z "$print_key" ] || { echo "$key"; exit 0; }
have=$("$DOCKER" image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$name" 2>/dev/null || true)
if [ "$have" = "$key" ] && [ -z "$force" ]; then
  say "up to date (key $key); nothing to do"
  echo "$name"
  exit 0
fi

container=ofl-build-$(echo "$name" | tr -c 'a-zA-Z0-9_.-' '-' | cut -c1-40)-$$
say "building (key $key) in container $container from $base"
"$DOCKER" run -d --name "$container" --hostname appliance-build --network "$network" \
  --cgroupns=private --cap-add SYS_ADMIN \
  --tmpfs /sys/fs/cgroup --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
  --stop-signal SIGRTMIN+3 "$base" /lib/systemd/systemd >/dev/null

dexec() { "$DOCKER" exec -i "$container" "$@"; }
for _ in $(seq 150); do
  state=$(dexec systemctl is-system-running 2>/dev/null || true)
  case $state in running|degraded) break ;; esac
  sleep 0.2
done
case $state in running|degraded) ;; *) say "systemd did not come up ($state)"; exit 1 ;; esac

dexec mkdir -p "$COLLECTION" "$PREFIX/wheels"
tar -C "$REPO" --null -T "$filelist" -cf - | dexec tar -C "$COLLECTION" --no-same-owner -xf -
tar -C "$wheels" -cf - . | dexec tar -C "$PREFIX/wheels" --no-same-owner -xf -
say "collection and wheelhouse copied ($((SECONDS - t0))s)"

dexec sh -euc "
  python3 -m venv --system-site-packages $PREFIX/ansible
  $PREFIX/ansible/bin/pip install -q --disable-pip-version-check --no-index --find-links $PREFIX/wheels \
    -r $COLLECTION/requirements.txt
  cat >$PREFIX/env <<EOF
# Settings to run the opennebula.flower playbooks in this image (written by images/build-appliance.sh).
export ANSIBLE_COLLECTIONS_PATH=$PREFIX/collections
export ANSIBLE_PYTHON_INTERPRETER=$PREFIX/ansible/bin/python
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export PATH=$PREFIX/ansible/bin:\\\$PATH
EOF
"
say "ansible virtualenv ready ($((SECONDS - t0))s)"

ev=(); for e in "${extra[@]+"${extra[@]}"}"; do ev+=(-e "$e"); done
say "ansible-playbook $playbook ${extra[*]+"${extra[*]}"}"
# shellcheck disable=SC2016  # expanded by the container's bash
if ! "$DOCKER" exec -w "$PREFIX" -e PIP_NO_INDEX=1 -e PIP_FIND_LINKS="$PREFIX/wheels" \
    -e PIP_DISABLE_PIP_VERSION_CHECK=1 -e FLWR_TELEMETRY_ENABLED=0 -e FLWR_DISABLE_UPDATE_CHECK=1 \
    "$container" bash -c '. "$0/env" && exec ansible-playbook -c local -i localhost, "$@"' \
    "$PREFIX" "$COLLECTION/$playbook" "${ev[@]+"${ev[@]}"}" >&2; then
  say "the playbook failed"
  exit 1
fi

# Clean up what the build leaves behind, then stop systemd cleanly and commit.
dexec sh -euc "
  apt-get clean
  rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /root/.cache /root/.ansible /home/*/.cache \
    /var/log/journal/* /var/tmp/*
  ${keep_wheels:+: keeping the wheelhouse} ${keep_wheels:-rm -rf $PREFIX/wheels}
  find $PREFIX/collections -name __pycache__ -prune -exec rm -rf {} +
  mkdir -p /var/lib/apt/lists/partial
"
"$DOCKER" stop -t 30 "$container" >/dev/null
# Every container from the image gets its own machine id: systemd may have committed one at boot.
empty=$(mktemp -d); : >"$empty/machine-id"
"$DOCKER" cp "$empty/machine-id" "$container:/etc/machine-id"; rm -rf "$empty"
"$DOCKER" commit \
  --change 'CMD ["/lib/systemd/systemd"]' --change 'ENV container=docker' \
  --change "LABEL $LABEL=$key" --change "LABEL org.opennebula.flower.playbook=$playbook" \
  "$container" "$name" >/dev/null
say "built in $((SECONDS - t0))s ($("$DOCKER" image inspect --format '{{.Size}}' "$name" | awk '{printf "%d MB", $1/1e6}'))"
echo "$name"
