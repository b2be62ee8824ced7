import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from newsarchive.startup import freeze_loaded_objects, limit_statements

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")

try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # One line for the operator, as manage.py prints, not a traceback per worker; 3 is
    # gunicorn's "worker failed to boot", on which it stops instead of restarting workers.
    print(f"Configuration error: {exc}", file=sys.stderr, flush=True)
    sys.exit(3)
limit_statements()
freeze_loaded_objects()
