import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lawtrace.settings")
application = get_wsgi_application()

# Start-up refuses an object store that is not write-once (the worker and scheduler run the same system check).
from evidence.checks import refuse_unsafe_store  # noqa: E402

refuse_unsafe_store()
