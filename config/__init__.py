# The Celery app is imported here so that `shared_task` binds to it and `.delay()` uses the
# configured broker instead of falling back to amqp://localhost.
from config.celery import app as celery_app

__all__ = ("celery_app",)
