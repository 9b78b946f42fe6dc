# opennebula.flower: `make demo` runs a real local Flower federation; `make test` runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLOWER_LOCAL_ROOT ?= $(CURDIR)/.local
export FLWR_TELEMETRY_ENABLED := 0
export FLWR_DISABLE_UPDATE_CHECK := 1
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
PLAYBOOK := $(BIN)/ansible-playbook -i inventories/local/hosts.yml
# Runs a test tier's command and prints its wall time, pass or fail (CI's budget is counted per tier).
timed = @started=$$(date +%s); $(1); rc=$$?; echo "tier $@: $$(( $$(date +%s) - started )) s, exit $$rc"; exit $$rc

.PHONY: demo train down logs venv test test-unit test-e2e test-appliance test-frameworks lint sanity clean images test-images

demo: venv  ## Deploy the local federation (1 SuperLink, 2 SuperNodes, TLS + node auth) and train the demo app
	$(PLAYBOOK) site.yml $(ARGS)

train: venv  ## Train again on the running local federation
	$(PLAYBOOK) playbooks/train.yml -e flower_train_force=true $(ARGS)

down: venv  ## Stop the local federation; PURGE=1 also deletes its state, certificates and logs
	$(PLAYBOOK) playbooks/teardown.yml -e flower_teardown_purge=$(if $(PURGE),true,false) $(ARGS)

logs:  ## Follow the local federation's service logs
	tail -n 50 -F $(FLOWER_LOCAL_ROOT)/logs/*.log

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

test: lint sanity test-unit test-e2e test-appliance  ## The whole test suite (what CI runs)

test-unit: venv
	$(call timed,$(BIN)/python -m pytest -q --durations=5 tests/unit tests/opennebula_sim tests/contract \
		tests/integration tests/images --ignore=tests/images/vm)

test-e2e: venv
	$(call timed,$(BIN)/python -m pytest -q --durations=10 tests/e2e)

# The use cases on their heavy frameworks (requirements-frameworks.txt, ~3 GB into the test federation's virtualenv);
# not part of `make test`, .ci/run runs it after (docs/use-cases.md).
test-frameworks: venv
	$(call timed,$(BIN)/python -m pytest -q --durations=10 tests/frameworks)

# The appliance images, built by Packer's docker source (images/build-image.sh), booted as systemd containers; needs
# root, docker (images/docker-host.sh) and Packer (images/host-packages.sh). Skipped without them unless
# FLOWER_REQUIRE_DOCKER is set (.ci/run sets it). Two workers, a test file each, share the image builds.
test-appliance: venv
	$(call timed,$(BIN)/python -m pytest -q --durations=10 -n 2 --dist loadfile tests/appliance)

# Appliance VM images (docs/images.md): both QCOW2 files with Packer, then their marketplace metadata.
# IMAGE_ARGS='--var-file packer/production.pkrvars.hcl' builds from the Ubuntu 24.04 cloud image with KVM.
images: venv
	images/host-packages.sh
	images/build-image.sh superlink $(IMAGE_ARGS)
	images/build-image.sh supernode $(IMAGE_ARGS)
	$(BIN)/python packer/marketplace/generate.py

# The SuperLink QCOW2 booted in QEMU (TCG) with a CONTEXT CD-ROM, trained against by a SuperNode container; needs
# root, docker and QEMU. Slow (see docs/images.md); .ci/run runs it when images/inputs-hash.sh differs from the
# committed images/tested-inputs.sha256, which a passing run rewrites.
test-images: venv
	images/host-packages.sh
	$(call timed,$(BIN)/python -m pytest -q -rP --durations=10 tests/images/vm)
	images/inputs-hash.sh >images/tested-inputs.sha256

lint: venv
	$(call timed,$(BIN)/ansible-lint --profile production)

sanity: venv
	$(call timed,tests/sanity/run.sh $(VENV))

clean:
	rm -rf $(VENV) tests/output
