"""Fetch and build the real Kafka broker and FerretDB into the cache, once.

Kafka: its jars from Maven Central (deploy/kafka/pom.xml, `mvn dependency:copy-dependencies`).
FerretDB: our small runner (deploy/ferretdb/main.go) embedding FerretDB 1.24 from the Go module
proxy, with patches that make its SQLite backend use the `_id` index and stop formatting every
SQL statement for a debug log nobody reads (see `_patch_ferretdb`).
The web service's npm packages (deploy/web/package.json and its lock: GOV.UK Frontend, Chart.js,
axe-core) with `npm ci`; the browser tests' Chromium from Debian with apt when missing.
Each step writes a marker file last, so an interrupted download is redone rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from deploy.paths import CACHE_DIR, REPO_ROOT

KAFKA_POM = REPO_ROOT / "deploy" / "kafka" / "pom.xml"
FERRETDB_SOURCE = REPO_ROOT / "deploy" / "ferretdb"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
FERRETDB_VERSION = "v1.24.2"
FERRETDB_PUSHDOWN = FERRETDB_SOURCE / "patches" / "acorn_pushdown.go"
# Bump when the build or `_patch_ferretdb` changes, so cached binaries are rebuilt.
FERRETDB_BUILD_REVISION = "5"


WEB_PACKAGE = REPO_ROOT / "deploy" / "web" / "package.json"
WEB_PACKAGE_LOCK = REPO_ROOT / "deploy" / "web" / "package-lock.json"
CHROMIUM = Path("/usr/bin/chromium")

COMPOSE_GO_MODULE = "github.com/compose-spec/compose-go/v2"
COMPOSE_GO_VERSION = "v2.16.2"


class ProvisionError(RuntimeError):
    """A download or build failed; the message says which and where to look."""


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(step: str, command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        result = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise ProvisionError(f"{step} failed (exit {result.returncode}); see {log}")


def kafka_libs() -> Path:
    """The directory of Kafka broker jars, fetched from Maven Central on first use."""
    target = CACHE_DIR / f"kafka-{_fingerprint(KAFKA_POM)}"
    marker = target / ".complete"
    if marker.exists():
        return target / "libs"
    if shutil.which("mvn") is None or shutil.which("java") is None:
        raise ProvisionError("Kafka needs Java and Maven (mvn) on PATH to fetch its jars")
    shutil.rmtree(target, ignore_errors=True)
    print("provision: fetching Kafka jars from Maven Central (first run only)...", flush=True)
    _run(
        "fetching Kafka jars",
        [
            "mvn",
            "-q",
            "-B",
            f"-Dmaven.repo.local={CACHE_DIR / 'm2'}",
            "-f",
            str(KAFKA_POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={target / 'libs'}",
            "-DincludeScope=runtime",
        ],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        log=CACHE_DIR / "logs" / "kafka-fetch.log",
    )
    marker.touch()
    return target / "libs"


def _patch_ferretdb(vendor: Path) -> None:
    """Make FerretDB's SQLite backend use its `_id` index, and for more than equality.

    1. FerretDB 1.24 creates the unique `_id` index on `_ferretdb_sjson->"_id"` but filters with
       `_ferretdb_sjson->'$._id'`. SQLite only uses an expression index for the identical
       expression, so every lookup by `_id` scanned the whole table (0.7 s at 200,000 documents).
       Both forms select the same JSON key; written like the index, lookups are index searches.
    2. Only a filter of exactly `{_id: value}` was pushed down to SQLite.
       deploy/ferretdb/patches/acorn_pushdown.go adds `{_id: {$in: [...]}}` and
       `{_id: {$regex: "^literal"}}` (many documents by id in one query; the documents under an
       id prefix), and pushes the `_id` condition of a filter with others beside it (a
       conditional update `{_id: x, version: {$lt: 3}}` read the whole collection).
    3. SQL statements are formatted for the debug log only when debug logging is on
       (`_log_sql_only_when_debugging`).
    """
    backend = vendor / FERRETDB_MODULE / "internal/backends/sqlite"
    _replace_once(
        backend / "metadata/metadata.go",
        """IDColumn = DefaultColumn + "->'$._id'\"""",
        """IDColumn = DefaultColumn + "->'_id'\"""",
    )
    _replace_once(
        backend / "collection.go",
        """	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
""",
        """	whereClause, args = acornFilterPushdown(params.Filter)
""",
    )
    _replace_once(  # explain reports the same pushdown, and SQLite's plan for it
        backend / "collection.go",
        """	if params.Filter.Len() == 1 {
		v, _ := params.Filter.Get("_id")
		switch v.(type) {
		case string, types.ObjectID:
			filterPushdown = true
			whereClause = fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn)
			args = []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		}
	}
""",
        """	whereClause, args = acornFilterPushdown(params.Filter)
	filterPushdown = whereClause != ""
""",
    )
    shutil.copy(FERRETDB_PUSHDOWN, backend / FERRETDB_PUSHDOWN.name)
    for name in ("db.go", "tx.go"):
        _log_sql_only_when_debugging(vendor / FERRETDB_MODULE / "internal/util/fsql" / name)


# `x.l.With(fields...).DebugContext(...)`, a whole line of FerretDB's SQL wrappers
_SQL_DEBUG_LOG = re.compile(
    r"^\t(tx|db)\.l\.With\(fields\.\.\.\)\.DebugContext\(.*\)$", re.MULTILINE
)


def _log_sql_only_when_debugging(path: Path) -> None:
    """FerretDB logs every SQL statement with its arguments at debug level, but `With` formats
    them before the level is looked at: a whole document, quoted, on every insert, even with
    debug logging off. Profiled under bulk ingest, that was 15% of FerretDB's CPU. Each of
    those lines now runs only when its logger is at debug level."""
    text = path.read_text()
    found = len(_SQL_DEBUG_LOG.findall(text))
    if found != 6:
        raise ProvisionError(f"FerretDB patch no longer applies: {found} SQL debug logs in {path}")
    path.write_text(
        _SQL_DEBUG_LOG.sub(
            lambda line: f"\tif {line[1]}.l.Enabled(ctx, slog.LevelDebug) {{\n\t{line[0]}\n\t}}",
            text,
        )
    )


def _replace_once(path: Path, before: str, after: str) -> None:
    text = path.read_text()
    if text.count(before) != 1:
        raise ProvisionError(f"FerretDB patch no longer applies: {before!r} not once in {path}")
    path.write_text(text.replace(before, after))


def ferretdb_binary() -> Path:
    """The FerretDB runner binary, built with Go from the module proxy on first use."""
    sources = [
        *sorted(FERRETDB_SOURCE.glob("*.go")),
        FERRETDB_SOURCE / "go.mod",
        FERRETDB_SOURCE / "go.sum",
    ]
    fingerprint = _fingerprint(*sources, FERRETDB_PUSHDOWN) + f"-r{FERRETDB_BUILD_REVISION}"
    build_dir = CACHE_DIR / f"ferretdb-{fingerprint}"
    binary = build_dir / "acorn-ferretdb"
    if binary.exists():
        return binary
    if shutil.which("go") is None:
        raise ProvisionError("FerretDB is built with Go; `go` is not on PATH")
    print("provision: building FerretDB with Go (first run only, about two minutes)...", flush=True)
    shutil.rmtree(build_dir, ignore_errors=True)
    work = build_dir / "src"
    work.mkdir(parents=True)
    for source in sources:
        shutil.copy(source, work / source.name)
    env = dict(os.environ)
    env.update(
        GOMODCACHE=str(CACHE_DIR / "go-mod"),
        GOCACHE=str(CACHE_DIR / "go-build"),
        GOFLAGS="-mod=mod",
        CGO_ENABLED="0",
    )
    log = CACHE_DIR / "logs" / "ferretdb-build.log"
    _run("vendoring FerretDB", ["go", "mod", "vendor"], cwd=work, env=env, log=log)
    _patch_ferretdb(work / "vendor")
    env["GOFLAGS"] = "-mod=vendor"
    _run("building FerretDB", ["go", "build", "-o", str(binary), "."], cwd=work, env=env, log=log)
    shutil.rmtree(work)
    return binary


def compose_schema() -> Path:
    """The Compose Specification's JSON schema, as shipped in compose-go (the reference
    implementation of the spec), fetched through the Go module proxy on first use."""
    env = {**os.environ, "GOMODCACHE": str(CACHE_DIR / "go-mod"), "GOFLAGS": "-mod=mod"}
    module = f"{COMPOSE_GO_MODULE}@{COMPOSE_GO_VERSION}"
    result = subprocess.run(
        ["go", "mod", "download", "-json", module],
        capture_output=True,
        text=True,
        env=env,
        cwd=CACHE_DIR if CACHE_DIR.exists() else None,
    )
    if result.returncode != 0:
        raise ProvisionError(f"fetching {module} failed: {result.stdout}{result.stderr}")
    schema = Path(json.loads(result.stdout)["Dir"]) / "schema" / "compose-spec.json"
    if not schema.exists():
        raise ProvisionError(f"{module} no longer ships schema/compose-spec.json")
    return schema


def web_assets() -> Path:
    """The web service's node_modules (GOV.UK Frontend, Chart.js, axe-core), installed from the
    npm registry by the lock file on first use; never committed."""
    target = CACHE_DIR / f"web-{_fingerprint(WEB_PACKAGE, WEB_PACKAGE_LOCK)}"
    marker = target / ".complete"
    if marker.exists():
        return target / "node_modules"
    if shutil.which("npm") is None:
        raise ProvisionError("the web service's assets come from npm; `npm` is not on PATH")
    print("provision: installing the web service's npm packages (first run only)...", flush=True)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for source in (WEB_PACKAGE, WEB_PACKAGE_LOCK):
        shutil.copy(source, target / source.name)
    _run(
        "installing the web service's npm packages",
        # no install scripts: the packages ship their built files, and nothing else may run
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=target,
        env={**os.environ, "npm_config_cache": str(CACHE_DIR / "npm")},
        log=CACHE_DIR / "logs" / "web-npm.log",
    )
    marker.touch()
    return target / "node_modules"


def chromium() -> Path:
    """Debian's Chromium for the browser tests (never a browser download), installed with apt
    when missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None:
        raise ProvisionError(f"the browser tests need Chromium at {CHROMIUM}; install it")
    print("provision: installing Chromium from Debian (first run only)...", flush=True)
    log = CACHE_DIR / "logs" / "chromium-apt.log"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run("apt-get update", ["apt-get", "update"], cwd=REPO_ROOT, env=env, log=log)
    _run(
        "installing Chromium",
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        cwd=REPO_ROOT,
        env=env,
        log=log,
    )
    if not CHROMIUM.exists():
        raise ProvisionError(f"apt installed chromium but {CHROMIUM} is missing; see {log}")
    return CHROMIUM
