"""`./dev`: bring Acorn up, look at it, test it, take it down.

./dev up [--no-demo]        start Kafka, FerretDB, the four services and the web application
./dev down [--wipe]         stop everything (--wipe also deletes data and logs)
./dev status                what runs, with PIDs and readiness
./dev logs COMPONENT [-f]   a component's log (e.g. kafka, ferretdb, ledger-api)
./dev test [PYTEST ARGS]    provision what the tests need, lint, run the whole suite
./dev load --preset P [--seed N]   load a synthetic council (tiny, demo, default, largest)
./dev judge --preset P [--seed N]  each attribution rule's error against the council's truth
./dev token --role ROLE [--provider-id ID]   a development JWT for curl
./dev report --fy 2024 [--basis B] [--group-by G]   cost per outcome in the terminal
./dev import 903 FOLDER [--rates FILE]   a council's SSDA903 return, through the APIs
./dev import finance EXPORT --mapping FILE   a finance system's invoice lines into the ledger
./dev finance forecast|exceptions --fy 2025 [...]   forecast outturn and its exceptions
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

from deploy import demo, processes, stack
from deploy.council.generate import DEFAULT_SEED, PRESETS
from deploy.demo import DemoError
from deploy.paths import LOG_DIR, REPO_ROOT, RUN_DIR, STATE_DIR
from shared.auth import ROLES, JwtSettings, mint_token


def _start_all(components: list[processes.Component]) -> list[processes.Component]:
    started = []
    for component in components:
        try:
            if processes.start(component):
                started.append(component)
                print(f"  starting {component.name} (log: {component.log_file})", flush=True)
            processes.wait_ready(component)
        except processes.StartError:
            for launched in reversed(started):  # leave nothing half-started behind
                processes.stop(launched.pid_file)
            raise
        print(f"  {component.name}: ready", flush=True)
    return started


def _start_infrastructure() -> list[processes.Component]:
    if stack.external_mongodb_uri():
        print("  using external MongoDB at MONGODB_URI (not starting FerretDB)")
    if stack.external_kafka():
        print(f"  using external Kafka at KAFKA_BOOTSTRAP_SERVERS={stack.kafka_bootstrap()}")
    started = _start_all(stack.infrastructure_components())
    stack.create_topics()
    return started


def cmd_up(args: argparse.Namespace) -> int:
    began = time.monotonic()
    print("Acorn: starting infrastructure", flush=True)
    _start_infrastructure()
    print("Acorn: starting services", flush=True)
    _start_all(stack.service_components())
    _start_all([stack.web_component()])
    print(f"\nAcorn is up in {time.monotonic() - began:.0f}s.\n")
    print(f"  web application    http://{stack.LOCAL_HOST}:{stack.WEB_PORT}   (sign in as finance)")
    for service in stack.SERVICES:
        base = f"http://{stack.LOCAL_HOST}:{service.port}"
        print(f"  {service.name:<14} {base}   docs: {base}/docs   ready: {base}/readyz")
    print("\n  a token for curl:  ./dev token --role finance")
    if not args.no_demo:
        from deploy.council import load

        acorn = _dev_acorn()
        empty = load.system_is_empty(acorn)
        print("\nAcorn: the worked example, through the APIs and Kafka (--no-demo skips it)")
        demo.print_report(demo.run_worked_example(acorn))
        print("\n  the same in the terminal:  ./dev report --from 2025-01-06 --to 2025-03-30")
        if empty:
            print("\nAcorn: a demo council (150 children, 2 years) through the APIs", flush=True)
            load.main("demo", DEFAULT_SEED, acorn=acorn, state_dir=STATE_DIR)
            _show_demo_council(acorn)
    return 0


def _show_demo_council(acorn: demo.Acorn) -> None:
    """What a finance officer would look at first: the last full year's cost per outcome."""
    from services.value.cli import render

    query = {"fy": "2024", "basis": "invoiced", "group_by": "intervention"}
    report = acorn.call("GET", "value", "/reports/cost-per-outcome", role="finance", params=query)
    report.raise_for_status()
    print()
    print(render(report.json()))
    value = f"http://{stack.LOCAL_HOST}:{next(s.port for s in stack.SERVICES if s.name == 'value')}"
    print("\n  the reports (a bearer token from ./dev token --role finance):")
    for what, path in (
        ("cost per outcome", "/reports/cost-per-outcome?fy=2024&format=csv"),
        ("report cards", "/reports/report-card?fy=2024"),
        (
            "turn the curve",
            "/reports/turn-the-curve?indicator=school_attendance"
            "&from=2023-04-01&to=2025-03-31&since=2024-04-01&format=png",
        ),
        ("reconciliation", "/reports/reconciliation?fy=2024"),
    ):
        print(f"    {what:<18} {value}{path}")
    print("  in the terminal:  ./dev report --fy 2024   judged:  ./dev judge --preset demo")


def _dev_acorn() -> demo.Acorn:
    urls = {s.name: f"http://{stack.LOCAL_HOST}:{s.port}" for s in stack.SERVICES}
    return demo.Acorn(urls=urls, token_for=dev_token, timeout=120)


def cmd_load(args: argparse.Namespace) -> int:
    from deploy.council import load

    load.main(args.preset, args.seed, acorn=_dev_acorn(), state_dir=STATE_DIR)
    return 0


def cmd_judge(args: argparse.Namespace) -> int:
    from deploy.council import judge

    return judge.main(args.preset, args.seed, acorn=_dev_acorn(), state_dir=STATE_DIR)


def _all_pid_files() -> list[str]:
    return sorted(path.stem for path in RUN_DIR.glob("*.pid")) if RUN_DIR.exists() else []


def cmd_down(args: argparse.Namespace) -> int:
    # services before the infrastructure they write to
    names = _all_pid_files()
    order = [n for n in names if n not in ("kafka", "ferretdb")] + [
        n for n in ("kafka", "ferretdb") if n in names
    ]
    for name in order:
        if processes.stop(RUN_DIR / f"{name}.pid"):
            print(f"  stopped {name}")
    if args.wipe:
        shutil.rmtree(STATE_DIR, ignore_errors=True)
        print(f"  wiped {STATE_DIR}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    components = [
        *stack.infrastructure_components(),
        *stack.service_components(),
        stack.web_component(),
    ]
    for component in components:
        pid = processes.running_pid(component.pid_file)
        if pid is None:
            state = "stopped"
        else:
            state = "ready" if processes.is_ready(component) else "running, not ready"
        work = stack.worker_summary(component) if pid else ""
        print(f"  {component.name:<24} {state:<20} {'pid ' + str(pid) if pid else '':<10} {work}")
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    from deploy import dlq

    if args.action == "list":
        return dlq.list_all()
    if not args.reference:
        print("name a dead letter (<topic>:<partition>:<offset> or event id) or set-aside event")
        return 2
    return dlq.show(args.reference) if args.action == "show" else dlq.redrive(args.reference)


def cmd_logs(args: argparse.Namespace) -> int:
    log = LOG_DIR / f"{args.component}.log"
    if not log.exists():
        known = sorted(path.stem for path in LOG_DIR.glob("*.log")) if LOG_DIR.exists() else []
        print(f"no log for {args.component!r}; logs exist for: {', '.join(known) or 'nothing'}")
        return 1
    command = ["tail", "-n", str(args.lines)] + (["-f"] if args.follow else []) + [str(log)]
    return subprocess.call(command)


def cmd_test(args: argparse.Namespace) -> int:
    print("Acorn tests: provisioning Kafka, FerretDB, the web assets and Chromium", flush=True)
    stack.provision.web_assets()
    stack.provision.chromium()  # the browser tests drive Debian's Chromium
    started = _start_infrastructure()
    try:
        env = {
            **os.environ,
            "MONGODB_URI": stack.mongodb_uri(),
            "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap(),
        }
        ruff = str(stack.VENV_BIN / "ruff")
        for check in ([ruff, "check", "."], [ruff, "format", "--check", "."]):
            print(f"$ {' '.join(check[1:])}", flush=True)
            if subprocess.call(check, cwd=REPO_ROOT) != 0:
                return 1
        results = STATE_DIR / "test-results.xml"
        pytest = [
            str(stack.VENV_BIN / "python"),
            "-m",
            "pytest",
            f"--junit-xml={results}",
            *args.pytest_args,
        ]
        outcome = subprocess.call(pytest, cwd=REPO_ROOT, env=env)
        print(recap_of_failures(results) if outcome else "Acorn tests: all passed", flush=True)
        return outcome
    finally:
        for component in reversed(started):
            processes.stop(component.pid_file)


def recap_of_failures(results: Path) -> str:
    """The failed tests, printed last: whatever the test process's threads wrote after pytest's
    own summary, the end of the output names what failed and why."""
    if not results.exists():
        return "Acorn tests: FAILED before any test result was written"
    failed = []
    for case in ElementTree.parse(results).iter("testcase"):
        for problem in case:
            if problem.tag in ("failure", "error"):
                reason = (problem.get("message") or problem.tag).splitlines()[0][:300]
                failed.append(f"  {case.get('classname')}::{case.get('name')}: {reason}")
    return "\n".join([f"Acorn tests: {len(failed)} failed", *failed])


def cmd_create_topics(args: argparse.Namespace) -> int:
    stack.create_topics()
    print(f"topics ready on {stack.kafka_bootstrap()}")
    return 0


def _dev_jwt() -> JwtSettings:
    return JwtSettings(
        algorithm="HS256",
        issuer=os.environ.get("ACORN_JWT_ISSUER", "acorn-dev"),
        audience=os.environ.get("ACORN_JWT_AUDIENCE", "acorn"),
        secret=stack.jwt_secret(),
    )


def dev_token(role: str, *, provider_id: str | None = None) -> str:
    # one subject per role and provider, as a real identity provider's users would have
    subject = f"dev-{role}" + (f"-{provider_id}" if provider_id else "")
    return mint_token(_dev_jwt(), roles=[role], provider_id=provider_id, subject=subject)


def cmd_token(args: argparse.Namespace) -> int:
    token = mint_token(
        _dev_jwt(), roles=[args.role], provider_id=args.provider_id, subject=args.subject
    )
    print(token)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from services.value import cli as value_cli

    return value_cli.main(args.report_args)


def dev_pseudonym_key() -> str:
    """The council's pseudonym secret, for imports from this checkout."""
    return stack.state_secret("ACORN_IMPORT_PSEUDONYM_KEY", "pseudonym-key")


def cmd_import(import_args: list[str]) -> int:
    from services.imports import cli as import_cli
    from services.imports.adapters.acorn_api import AcornApi

    urls = {s.name: f"http://{stack.LOCAL_HOST}:{s.port}" for s in stack.SERVICES}
    api = AcornApi(urls, lambda role: dev_token(role))
    environ = {**os.environ, "ACORN_IMPORT_PSEUDONYM_KEY": dev_pseudonym_key()}
    return import_cli.main(import_args, api=api, environ=environ)


def cmd_finance(args: argparse.Namespace) -> int:
    from services.ledger import cli as ledger_cli

    return ledger_cli.main(args.finance_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="./dev", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start everything and show it working")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo council")
    up.set_defaults(run=cmd_up)

    down = commands.add_parser("down", help="stop everything")
    down.add_argument("--wipe", action="store_true", help="also delete data and logs")
    down.set_defaults(run=cmd_down)

    commands.add_parser(
        "status", help="what runs, consumer lag, unpublished and stuck work"
    ).set_defaults(run=cmd_status)

    dead = commands.add_parser("dlq", help="dead letters and set-aside events; re-drive one")
    dead.add_argument("action", choices=("list", "show", "redrive"))
    dead.add_argument("reference", nargs="?")
    dead.set_defaults(run=cmd_dlq)

    logs = commands.add_parser("logs", help="show a component's log")
    logs.add_argument("component")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.add_argument("-n", "--lines", type=int, default=100)
    logs.set_defaults(run=cmd_logs)

    test = commands.add_parser("test", help="lint and run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(run=cmd_test)

    commands.add_parser(
        "create-topics", help="create every Acorn topic on the broker (idempotent)"
    ).set_defaults(run=cmd_create_topics)

    token = commands.add_parser("token", help="mint a development JWT")
    token.add_argument("--role", required=True, choices=ROLES)
    token.add_argument("--provider-id")
    token.add_argument("--subject")
    token.set_defaults(run=cmd_token)

    for name, run, what in (
        ("load", cmd_load, "load a synthetic council through the APIs (resumable)"),
        ("judge", cmd_judge, "compare each attribution rule with a loaded council's truth"),
    ):
        council = commands.add_parser(name, help=what)
        council.add_argument("--preset", default="demo", choices=PRESETS)
        council.add_argument("--seed", type=int, default=DEFAULT_SEED)
        council.set_defaults(run=run)

    report = commands.add_parser("report", help="cost per outcome for a period, in the terminal")
    report.add_argument("report_args", nargs=argparse.REMAINDER)
    report.set_defaults(run=cmd_report)
    imports = commands.add_parser("import", help="a council's own data through the APIs")
    imports.add_argument("import_args", nargs=argparse.REMAINDER)

    finance = commands.add_parser(
        "finance", help="forecast outturn and exceptions, in the terminal"
    )
    finance.add_argument("finance_args", nargs=argparse.REMAINDER)
    finance.set_defaults(run=cmd_finance)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:  # everything after `report` belongs to the value CLI
        return cmd_report(argparse.Namespace(report_args=argv[1:]))
    if argv[:1] == ["import"]:  # and after `import` to the importers'
        return cmd_import(argv[1:])
    if argv[:1] == ["finance"]:  # and everything after `finance` to the ledger's
        return cmd_finance(argparse.Namespace(finance_args=argv[1:]))
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "test":  # everything after `test` belongs to pytest
        args.pytest_args = unknown + args.pytest_args
    try:
        return int(args.run(args))
    except (processes.StartError, stack.provision.ProvisionError, DemoError) as error:
        print(f"\nAcorn: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
