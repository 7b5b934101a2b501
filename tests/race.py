"""Run jobs at the same moment in real threads, each on its own database connection."""

import threading

from django.db import connection


def race(*jobs, timeout: float = 60):
    """Start every job at once (a barrier) in its own thread; return each one's result or the
    exception it raised, in the jobs' order."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=timeout)
            outcomes[i] = job()
        except Exception as exc:  # the test asserts on what each thread got
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "a racing job did not finish"
    return outcomes
