# reformabm: the two commands of the README.
#   make demo   set up .venv and run the teaching county for a year (outputs in runs/teaching)
#   make test   set up .venv and run the test suite
.PHONY: setup demo test bench lint lab notebooks clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/reformabm run teaching --out runs/teaching

test: setup
	.venv/bin/python -m pytest -n 2 --doctest-modules reformabm tests

bench: setup
	.venv/bin/python benchmarks/run_benchmarks.py

lint: setup
	.venv/bin/ruff check reformabm tests benchmarks notebooks scripts

notebooks: setup  # after editing a notebook's .py source elsewhere: update its .ipynb (cell ids and metadata kept)
	cd notebooks && for f in *.py classroom/*.py; do ../.venv/bin/jupytext --to ipynb --update -q "$$f"; done

clean:
	rm -rf runs .pytest_cache

lab: setup
	.venv/bin/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )
