# symgrad: the two jobs of the README, and their parts.
#   make reports   install symgrad (with matplotlib) and TeX, render the proof reports of the built-in examples
#   make test      install what the tests need (TeX, torch, matplotlib) and run them
#   make fuzz      a longer fuzzing run: 13,600 generated files, command lines and names, and 10,000
#                  hostile values for every option and field (counting tracebacks, hangs and files
#                  written outside the output folder), interrupts under
#                  load, the claims auditor on 1,000 networks, and lint's verdicts against training
#                  on 500 random PyTorch models, and the tensor and scalar levels' agreement on 300, and
#                  every route of stated starts (flat, by rows and columns, meta) against the realised
#                  model on 300
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: reports test fuzz tex bench tex-sources clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -qq -e '.[plot]'
	touch $@

# torch first, pinned to the CPU build (the extra's range alone could take a much larger build)
$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -qq torch==2.13.0
	$(PY) -m pip install -qq -e '.[test,torch,plot]'
	touch $@ $(VENV)/.installed

tex:
	sh scripts/install-tex.sh

reports: $(VENV)/.installed tex
	$(PY) -m symgrad.report.build --pdf reports

tex-sources: $(VENV)/.installed
	$(PY) -m symgrad.report.build reports

test: $(VENV)/.installed-test tex
	SYMGRAD_REQUIRE_TEX=1 $(PY) -m pytest

fuzz: $(VENV)/.installed-test
	SYMGRAD_FUZZ_EXAMPLES=3400 $(PY) -m pytest -p no:cacheprovider -s tests/test_fuzz.py -k "not hostile_inputs" tests/fuzz_interrupts.py
	SYMGRAD_FUZZ_EXAMPLES=10000 $(PY) -m pytest -p no:cacheprovider -s tests/test_fuzz.py -k "hostile_inputs or fuzzing_counts"
	SYMGRAD_AUDIT_NETWORKS=1000 $(PY) -m pytest -p no:cacheprovider -s tests/fuzz_claims.py
	SYMGRAD_LINT_MODELS=500 $(PY) -m pytest -p no:cacheprovider -q tests/test_lint_crosscheck.py
	SYMGRAD_LEVEL_MODELS=300 $(PY) -m pytest -p no:cacheprovider -q tests/test_levels_agree.py
	SYMGRAD_STRUCTURED_MODELS=300 $(PY) -m pytest -p no:cacheprovider -q tests/test_lint_structured.py

bench: $(VENV)/.installed
	$(PY) -m pip install -qq -e '.[bench]'
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info
