"""The components of the Acorn stack and the order they start in.

Infrastructure first (FerretDB, Kafka, then the topics), then for each service its API under
gunicorn, its outbox relay and its consumer, then the web application people use (port 8000).
`MONGODB_URI` / `KAFKA_BOOTSTRAP_SERVERS`, when set, point at external servers and the matching
local component is not started.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from deploy import provision
from deploy.paths import DATA_DIR, REPO_ROOT, STATE_DIR
from deploy.processes import Component
from shared.auth import JwtSettings
from shared.events.topics import all_topics
from shared.kafka import broker_ready, ensure_topics
from shared.mongo import connect, ping

LOCAL_HOST = "127.0.0.1"
MONGO_PORT = 27017
KAFKA_PORT = 9092
KAFKA_CONTROLLER_PORT = 9093
VENV_BIN = Path(sys.executable).parent
WEB_PORT = 8000


@dataclass(frozen=True)
class ServiceLayout:
    name: str
    port: int
    publishes: bool
    consumes: bool

    @property
    def relay_probe_port(self) -> int:
        """Where the relay serves /healthz and /metrics (shared.probes)."""
        return self.port + 100

    @property
    def consumer_probe_port(self) -> int:
        return self.port + 200


SERVICES = (
    ServiceLayout("commissioning", 8001, publishes=True, consumes=False),
    ServiceLayout("outcomes", 8002, publishes=True, consumes=True),
    ServiceLayout("ledger", 8003, publishes=True, consumes=True),
    # the value API runs its read-model consumer itself: it alone may write its DuckDB file
    ServiceLayout("value", 8004, publishes=False, consumes=False),
)


def external_mongodb_uri() -> str | None:
    return os.environ.get("MONGODB_URI") or None


def external_kafka() -> str | None:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None


def mongodb_uri() -> str:
    return external_mongodb_uri() or f"mongodb://{LOCAL_HOST}:{MONGO_PORT}/"


def kafka_bootstrap() -> str:
    return external_kafka() or f"{LOCAL_HOST}:{KAFKA_PORT}"


def state_secret(variable: str, file_name: str) -> str:
    """A development secret: `variable` from the environment, or one made once per state
    directory and kept there (readable by its owner only)."""
    if os.environ.get(variable):
        return os.environ[variable]
    secret_file = STATE_DIR / file_name
    if not secret_file.exists():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(secrets.token_urlsafe(48))
        secret_file.chmod(0o600)
    return secret_file.read_text().strip()


def jwt_secret() -> str:
    """The development signing secret."""
    return state_secret("ACORN_JWT_SECRET", "jwt-secret")


def web_secret_key() -> str:
    """The web sessions' signing key."""
    return state_secret("ACORN_WEB_SECRET_KEY", "web-secret-key")


def stack_environment() -> dict[str, str]:
    """What every Acorn process is started with."""
    (STATE_DIR / "value").mkdir(parents=True, exist_ok=True)
    return {
        "ACORN_VALUE_DATABASE_FILE": str(STATE_DIR / "value" / "read-model.duckdb"),
        "MONGODB_URI": mongodb_uri(),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
        "ACORN_JWT_SECRET": jwt_secret(),
        "PYTHONUNBUFFERED": "1",
    }


def isolated_environment(
    *,
    mongodb_uri: str,
    kafka_bootstrap: str,
    topic_prefix: str,
    databases: dict[str, str],
    jwt: JwtSettings,
) -> dict[str, str]:
    """The environment of an Acorn that shares servers with others (tests, benchmarks) but no
    databases (`ACORN_<SERVICE>_DB` -> name), topics or consumer groups (`topic_prefix`)."""
    return {
        "MONGODB_URI": mongodb_uri,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ACORN_TOPIC_PREFIX": topic_prefix,
        "ACORN_JWT_SECRET": jwt.secret or "",
        "ACORN_JWT_ISSUER": jwt.issuer,
        "ACORN_JWT_AUDIENCE": jwt.audience,
        # the value read model in memory: built from this Acorn's own topics at each start
        "ACORN_VALUE_DATABASE_FILE": ":memory:",
        **databases,
    }


def _mongo_ready() -> None:
    client = connect(mongodb_uri())
    try:
        ping(client)
    finally:
        client.close()


def ferretdb_component() -> Component:
    return Component(
        name="ferretdb",
        command=[
            str(provision.ferretdb_binary()),
            f"--listen-addr={LOCAL_HOST}:{MONGO_PORT}",
            f"--data-dir={DATA_DIR / 'ferretdb'}",
            # Commits survive a crash of any process but not of the machine, as the local Kafka
            # broker's do (it leaves flushing to the OS): the same durability end to end. With
            # "full", every insert waits for an fsync (~1 ms here), which capped single writes
            # at ~1,000/s and was most of each API request.
            "--synchronous=normal",
        ],
        ready=_mongo_ready,
        ready_timeout=30,
        listens_on=((LOCAL_HOST, MONGO_PORT),),
    )


def _kafka_config(base_dir: Path, port: int, controller_port: int) -> Path:
    config = base_dir / "kafka" / "server.properties"
    config.parent.mkdir(parents=True, exist_ok=True)
    template = (REPO_ROOT / "deploy" / "kafka" / "server.properties").read_text()
    config.write_text(
        template.format(
            host=LOCAL_HOST,
            port=port,
            controller_port=controller_port,
            data_dir=base_dir / "data" / "kafka",
        )
    )
    return config


def kafka_component(
    *,
    name: str = "kafka",
    port: int = KAFKA_PORT,
    controller_port: int = KAFKA_CONTROLLER_PORT,
    base_dir: Path = STATE_DIR,
) -> Component:
    """A single-node KRaft broker; the storage is formatted on first start."""
    classpath = f"{provision.kafka_libs()}/*"
    config = _kafka_config(base_dir, port, controller_port)
    if not (base_dir / "data" / "kafka" / "meta.properties").exists():
        tool = ["java", "-cp", classpath, "kafka.tools.StorageTool"]
        cluster_id = subprocess.run(
            [*tool, "random-uuid"], check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        subprocess.run(
            [*tool, "format", "-t", cluster_id, "-c", str(config)],
            check=True,
            capture_output=True,
            text=True,
        )
    bootstrap = f"{LOCAL_HOST}:{port}"
    return Component(
        name=name,
        command=[
            "java",
            "-Xms128m",
            "-Xmx512m",
            "-XX:+UseSerialGC",
            f"-Dlog4j2.configurationFile={REPO_ROOT / 'deploy' / 'kafka' / 'log4j2.yaml'}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(config),
        ],
        ready=lambda: broker_ready(bootstrap),
        ready_timeout=180,  # a broker with many partitions takes a while to load them
        listens_on=((LOCAL_HOST, port), (LOCAL_HOST, controller_port)),
    )


def infrastructure_components() -> list[Component]:
    components = []
    if external_mongodb_uri() is None:
        components.append(ferretdb_component())
    if external_kafka() is None:
        components.append(kafka_component())
    return components


def create_topics() -> None:
    ensure_topics(kafka_bootstrap(), all_topics(os.environ.get("ACORN_TOPIC_PREFIX", "")))


def worker_summary(component: Component) -> str:
    """For a relay or consumer: its liveness and the figures that show stuck work."""
    if not component.name.split("-")[-1].startswith(("relay", "consumer")):
        return ""
    host, port = component.listens_on[0]
    try:
        health = requests.get(f"http://{host}:{port}/healthz", timeout=3).json()["status"]
        text = requests.get(f"http://{host}:{port}/metrics", timeout=3).text
    except (requests.RequestException, ValueError, KeyError):
        return "probes not answering"
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    if "consumer_lag" in totals or "consumer_retries_total" in totals:
        return (
            f"{health}; lag {totals.get('consumer_lag', 0):.0f}, dead letters "
            f"{totals.get('consumer_dead_letters_total', 0):.0f}, "
            f"retries {totals.get('consumer_retries_total', 0):.0f}"
        )
    return (
        f"{health}; unpublished {totals.get('outbox_pending_records', 0):.0f} "
        f"(oldest {totals.get('outbox_oldest_pending_age_seconds', 0):.0f}s), "
        f"set aside {totals.get('outbox_set_aside_events', 0):.0f}"
    )


def _http_ready(port: int, path: str = "/readyz") -> None:
    response = requests.get(f"http://{LOCAL_HOST}:{port}{path}", timeout=3)
    response.raise_for_status()


def service_components(
    *, port_offset: int = 0, name_suffix: str = "", env: dict[str, str] | None = None
) -> list[Component]:
    """Each service's API, relay and consumer. Tests run a second stack beside a developer's
    by shifting the ports and names and giving it its own databases and topic prefix (`env`)."""
    env = {**stack_environment(), **(env or {})}
    python = str(VENV_BIN / "python")
    components = []
    for service in SERVICES:
        port = service.port + port_offset
        components.append(
            Component(
                name=f"{service.name}-api{name_suffix}",
                command=[
                    str(VENV_BIN / "gunicorn"),
                    f"--bind={LOCAL_HOST}:{port}",
                    "--worker-class=gthread",
                    "--workers=1",
                    "--threads=8",
                    "--config=python:deploy.gunicorn_logging",
                    "--no-control-socket",  # one fixed socket per user: masters would share it
                    f"services.{service.name}.entrypoints.api:create_app()",
                ],
                ready=lambda port=port: _http_ready(port),
                # the value API is ready once its read model has caught up with the topics, the
                # ledger's once it has read its facts: both take a while at a council's size
                ready_timeout=600 if service.name in ("value", "ledger") else 60,
                env={**env, "ACORN_PROCESS_NAME": f"{service.name}-api"},
                cwd=REPO_ROOT,
                listens_on=((LOCAL_HOST, port),),
            )
        )
        if service.publishes:
            probe_port = service.relay_probe_port + port_offset
            components.append(
                Component(
                    name=f"{service.name}-relay{name_suffix}",
                    command=[python, "-m", "shared.relay", service.name],
                    ready=lambda port=probe_port: _http_ready(port, "/healthz"),
                    env={**env, "ACORN_METRICS_PORT": str(probe_port)},
                    cwd=REPO_ROOT,
                    listens_on=((LOCAL_HOST, probe_port),),
                )
            )
        if service.consumes:
            probe_port = service.consumer_probe_port + port_offset
            components.append(
                Component(
                    name=f"{service.name}-consumer{name_suffix}",
                    command=[python, "-m", f"services.{service.name}.entrypoints.consumer"],
                    ready=lambda port=probe_port: _http_ready(port, "/healthz"),
                    env={**env, "ACORN_METRICS_PORT": str(probe_port)},
                    cwd=REPO_ROOT,
                    listens_on=((LOCAL_HOST, probe_port),),
                )
            )
    return components


def web_component(
    *, port_offset: int = 0, name_suffix: str = "", env: dict[str, str] | None = None
) -> Component:
    """The web application on 8000 (+ offset), calling the services on their shifted ports."""
    port = WEB_PORT + port_offset
    web_env = {
        **stack_environment(),
        "ACORN_WEB_ASSETS_DIR": str(provision.web_assets()),
        "ACORN_WEB_SECRET_KEY": web_secret_key(),
        **{
            f"ACORN_WEB_{s.name.upper()}_URL": f"http://{LOCAL_HOST}:{s.port + port_offset}"
            for s in SERVICES
        },
        **(env or {}),
    }
    return Component(
        name=f"web{name_suffix}",
        command=[
            str(VENV_BIN / "gunicorn"),
            f"--bind={LOCAL_HOST}:{port}",
            "--worker-class=gthread",
            "--workers=2",
            "--threads=8",
            "--config=python:deploy.gunicorn_logging",
            "--no-control-socket",
            "services.web.entrypoints.app:create_app()",
        ],
        ready=lambda: _web_ready(port),
        env={**web_env, "ACORN_PROCESS_NAME": "web"},
        cwd=REPO_ROOT,
        listens_on=((LOCAL_HOST, port),),
    )


def _web_ready(port: int) -> None:
    requests.get(f"http://{LOCAL_HOST}:{port}/healthz", timeout=3).raise_for_status()
