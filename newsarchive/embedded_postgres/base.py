from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, client

from newsarchive import embedded_db


class DatabaseClient(client.DatabaseClient):
    """`manage.py dbshell` on the embedded server's socket."""

    @classmethod
    def settings_to_cmd_args_env(cls, settings_dict: Any, parameters: Any) -> Any:
        settings_dict = {**settings_dict, "HOST": embedded_db.socket_dir()}
        return super().settings_to_cmd_args_env(settings_dict, parameters)


class DatabaseWrapper(base.DatabaseWrapper):
    client_class = DatabaseClient

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params["host"] = embedded_db.socket_dir()
        return params
