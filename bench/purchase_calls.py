"""What one partner-API purchase costs in one process, for comparing two commits when the load
benchmark's rounds are too noisy to tell them apart:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kopilka_calls \
        .venv/bin/python bench/purchase_calls.py --purchases 800

Migrates the database, seeds members and a key as `bench/api_load.py` does, warms up, then sends
purchases (the load benchmark's bodies) through the production WSGI application without a
server and prints, as JSON, the statements of one purchase, the Python function calls per
purchase under cProfile (the same work gives the same count on any machine) and the CPU
milliseconds per purchase without the profiler (this one moves with the machine's load). Run it
in a checkout of each commit, on databases of the same PostgreSQL. Nothing here runs in the test
suite.
"""

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import api_load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--purchases", type=int, default=800)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()

    api_load.django_setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import RequestFactory

    from config.wsgi import application

    call_command("migrate", verbosity=0)
    key, members = api_load.seed(args.members)
    environ = RequestFactory()._base_environ
    rng = random.Random(1)
    counter = [int(time.time())]

    def one() -> None:
        counter[0] += 1
        method, path, body, headers = api_load.purchase(rng, members, counter[0])[:4]
        data = json.dumps(body).encode()
        env = environ(
            PATH_INFO=path,
            QUERY_STRING="",
            REQUEST_METHOD=method,
            HTTP_AUTHORIZATION=f"Api-Key {key}",
            SERVER_NAME="localhost",
            HTTP_HOST="localhost",
            CONTENT_LENGTH=str(len(data)),
            CONTENT_TYPE="application/json",
        )
        env["wsgi.input"] = io.BytesIO(data)
        for name, value in headers.items():
            env["HTTP_" + name.upper().replace("-", "_")] = value
        status = []
        b"".join(application(env, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("201"), status[0]

    for _ in range(200):
        one()
    statements = []

    def counted(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        one()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.purchases):
        one()
    profiler.disable()
    calls = pstats.Stats(profiler).total_calls
    started = time.process_time()
    for _ in range(args.purchases):
        one()
    cpu = time.process_time() - started
    print(
        json.dumps(
            {
                "statements_per_purchase": len(statements),
                "function_calls_per_purchase": round(calls / args.purchases, 1),
                "cpu_ms_per_purchase": round(cpu / args.purchases * 1000, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
