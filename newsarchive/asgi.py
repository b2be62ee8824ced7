import os

from django.core.asgi import get_asgi_application

from newsarchive.startup import freeze_loaded_objects, limit_statements

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsarchive.settings")

application = get_asgi_application()
limit_statements()
freeze_loaded_objects()
