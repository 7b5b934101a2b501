# Kopilka: two commands for a newcomer (see README.md).
.PHONY: demo test lint format venv messages bench-burn

demo:  ## set up and start the platform with demo data on an embedded PostgreSQL and Valkey (var/)
	bash scripts/demo.sh

test:  ## install what the tests need, start PostgreSQL, run lint and the whole suite
	bash scripts/test.sh

venv:
	bash scripts/bootstrap.sh

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: venv
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

messages: venv  ## refresh and compile the translation catalogues
	DEBUG=true .venv/bin/python manage.py makemessages -l ru --ignore=.venv --ignore=.tools --ignore=var --ignore=tests --ignore=bench
	DEBUG=true .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=.tools
