from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from newsarchive import embedded_db


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params["host"] = embedded_db.socket_dir()
        return params
