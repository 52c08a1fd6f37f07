"""The settings every service process shares, plus the service's own extras, read at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.auth import JwtSettings, jwt_settings_spec, load_jwt_settings
from shared.settings import Setting, load_settings, parse_choice


def _common_spec(service: str) -> dict[str, Setting]:
    return {
        "mongodb_uri": Setting("MONGODB_URI", default="mongodb://127.0.0.1:27017/"),
        "database": Setting(f"ACORN_{service.upper()}_DB", default=f"acorn_{service}"),
        "kafka_bootstrap_servers": Setting("KAFKA_BOOTSTRAP_SERVERS", default="127.0.0.1:9092"),
        "topic_prefix": Setting("ACORN_TOPIC_PREFIX", parse=str, default=""),
        # relays and consumers serve /healthz and /metrics here (shared.probes); 0: not served
        "metrics_port": Setting("ACORN_METRICS_PORT", parse=int, default=0),
        # how long an Idempotency-Key claim outlives a worker that died holding it
        "idempotency_lease_s": Setting("ACORN_IDEMPOTENCY_LEASE_S", parse=float, default=60.0),
        # how long the relay waits before finishing an outbox write its writer never finished
        "orphan_grace_s": Setting("ACORN_OUTBOX_ORPHAN_GRACE_S", parse=float, default=300.0),
        "log_level": Setting(
            "ACORN_LOG_LEVEL",
            parse=parse_choice("DEBUG", "INFO", "WARNING", "ERROR"),
            default="INFO",
        ),
    }


@dataclass(frozen=True)
class ServiceSettings:
    service: str
    mongodb_uri: str
    database: str
    kafka_bootstrap_servers: str
    topic_prefix: str
    log_level: str
    metrics_port: int
    idempotency_lease_s: float
    orphan_grace_s: float
    jwt: JwtSettings | None
    extras: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls,
        service: str,
        *,
        extras: Mapping[str, Setting] | None = None,
        environ: Mapping[str, str] | None = None,
        with_jwt: bool = True,
    ) -> ServiceSettings:
        """All of a service's settings; raises SettingsError naming every bad variable at once.

        Relays and consumers pass `with_jwt=False`: they answer no requests.
        """
        common = _common_spec(service)
        spec = {
            **common,
            **(jwt_settings_spec() if with_jwt else {}),
            **{f"extra:{name}": setting for name, setting in (extras or {}).items()},
        }
        values = load_settings(spec, environ)
        return cls(
            service=service,
            jwt=load_jwt_settings(values) if with_jwt else None,
            extras={
                name.removeprefix("extra:"): value
                for name, value in values.items()
                if name.startswith("extra:")
            },
            **{name: values[name] for name in common},
        )

    @property
    def api_jwt(self) -> JwtSettings:
        if self.jwt is None:
            raise RuntimeError("these settings were loaded without JWT settings")
        return self.jwt
