import os

from django.core.wsgi import get_wsgi_application

from newsarchive.startup import freeze_loaded_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")

application = get_wsgi_application()
freeze_loaded_objects()
