from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from articles.views_health import healthz

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # set_language: the interface language switcher's POST (no script).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("articles.urls")),
]
