import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Imported once per gunicorn worker: start-up is over here.
from apps.core.processes import freeze_startup_objects  # noqa: E402

freeze_startup_objects()
