"""The Celery app. Tasks are thin wrappers around services; the schedule lives in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flattr.settings")

app = Celery("flattr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
