"""WSGI entry point (gunicorn flattr.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flattr.settings")
application = get_wsgi_application()
