import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the apps, their modules) lives as long as the process: move it out
# of the collector's reach, so a request that allocates many objects (the group's stock report builds
# 20,000 rows) does not pay for scanning it again and again (bench/bench_stock_report.py: -50 ms).
gc.freeze()
