#!/usr/bin/env bash
# Print a hash of what the VM images and their boot test are made of: Packer templates and playbook, image
# scripts and requirement files, the appliance role and playbook, and tests/images/vm. `make test-images` writes
# it to images/tested-inputs.sha256 when it passes; .ci/run runs make test-images when the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z --cached --others --exclude-standard -- packer images roles/appliance 'playbooks/appliance_*.yml' \
    requirements.txt tests/images/vm ':!images/tested-inputs.sha256' \
  | sort -z -u | while IFS= read -r -d '' f; do if [ -f "$f" ]; then sha256sum "$f"; fi; done \
  | sha256sum | cut -c1-64
