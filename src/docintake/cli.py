"""The `docintake` command: serve, worker, migrate, keys, users, extract.

Every command reads the same Settings (so DOCINTAKE_DATA_DIR and friends apply everywhere);
options given on the command line override them for that run.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from docintake.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
app = typer.Typer(help="docintake: self-hosted document intake and extraction.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys (server-to-server credentials).", no_args_is_help=True)
users_app = typer.Typer(help="Manage web users.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")


def _settings(**overrides: object) -> Settings:
    settings = get_settings()
    updates = {k: v for k, v in overrides.items() if v is not None}
    return settings.model_copy(update=updates) if updates else settings


def _migrate(settings: Settings) -> None:
    from docintake.storage.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    settings = _settings()
    _migrate(settings)
    typer.echo("database is up to date", err=True)


def _bootstrap(settings: Settings) -> None:
    """First start: a default account, environment and one API key, printed this once."""
    from sqlalchemy import func, select

    from docintake.services.auth import create_api_key, ensure_environment
    from docintake.storage.database import Database
    from docintake.storage.models import ApiKey

    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            if session.scalar(select(func.count()).select_from(ApiKey)):
                return
            env = ensure_environment(session, settings.bootstrap_account, settings.bootstrap_environment)
            _, plaintext = create_api_key(session, env.id, "first-start", settings.api_key_prefix)
    finally:
        db.dispose()
    typer.echo(
        f"\nCreated account '{settings.bootstrap_account}', environment '{settings.bootstrap_environment}' "
        f"and an API key (shown only now, store it):\n\n    {plaintext}\n",
        err=True,
    )


def _prepare_metrics(settings: Settings) -> None:
    """Clear the samples of processes that ended from the shared metrics directory, and record this
    process's (and its forked workers') there, before any of them starts measuring."""
    from docintake import metrics

    metrics.start_process(settings.resolved_metrics_dir)


def _check_blob_store(settings: Settings) -> None:
    """Stop at start-up on a blob store that cannot work (no such bucket, refused credentials, an
    unknown URL scheme), naming it; one that is only down now is a warning, as workers retry."""
    from docintake.errors import DocintakeError
    from docintake.storage.blobs import create_blob_store

    try:
        create_blob_store(settings.resolved_blob_url, settings).check()
    except DocintakeError as exc:
        if not exc.retryable:
            typer.echo(f"docintake: the blob store is not usable: {exc.message}", err=True)
            raise typer.Exit(1) from None
        log.warning("the blob store does not answer yet (%s); starting anyway", exc.message)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int | None, typer.Option(help="Processing worker processes.")] = None,
    api_workers: Annotated[int, typer.Option(help="API server processes.")] = 1,
    embedded_worker: Annotated[bool | None, typer.Option(help="Start a worker beside the API.")] = None,
) -> None:
    """Start the API (and, by default, a processing worker) on the embedded defaults."""
    import uvicorn

    from docintake.logs import configure_logging
    from docintake.supervisor import EmbeddedWorker

    settings = _settings(host=host, port=port, workers=workers, embedded_worker=embedded_worker)
    configure_logging(settings.log_level)
    _migrate(settings)
    _check_blob_store(settings)
    _bootstrap(settings)
    _prepare_metrics(settings)
    # API worker processes and the worker child build their settings from the environment: make
    # sure they all see the same absolute data directory, whatever the working directory.
    os.environ["DOCINTAKE_DATA_DIR"] = str(settings.data_dir.resolve())
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again with the handler it
    # found: make that an exception, not the default instant death, so `finally` stops the worker.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    embedded = EmbeddedWorker(settings.workers) if settings.embedded_worker else None
    try:
        if embedded is not None:
            embedded.start()
        uvicorn.run(
            "docintake.api.app:app_from_environment",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=api_workers,
            log_level=settings.log_level.lower(),
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        if embedded is not None:
            embedded.stop()


@app.command()
def worker(workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None) -> None:
    """Run processing workers until interrupted (any number of these may share one queue)."""
    from docintake.logs import configure_logging
    from docintake.tasks import create_queue

    settings = _settings(workers=workers)
    configure_logging(settings.log_level)
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    _check_blob_store(settings)
    _prepare_metrics(settings)
    create_queue(settings).run_consumer(settings.workers)


@contextmanager
def _admin_session() -> Iterator[tuple[Settings, Session]]:
    """A migrated database session for one admin command; a DocintakeError exits 1 with its message."""
    from docintake.errors import DocintakeError
    from docintake.storage.database import Database

    settings = _settings()
    _migrate(settings)
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            yield settings, session
    except DocintakeError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()


def _environment_id(
    settings: Settings, session: Session, account: str | None, environment: str | None
) -> str:
    from docintake.services.auth import ensure_environment

    account_name = account or settings.bootstrap_account
    return ensure_environment(session, account_name, environment or settings.bootstrap_environment).id


AccountOption = Annotated[str | None, typer.Option(help="Account name (created if missing).")]
EnvironmentOption = Annotated[str | None, typer.Option(help="Environment name (created if missing).")]


@keys_app.command("create")
def keys_create(
    account: AccountOption = None,
    environment: EnvironmentOption = None,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key and print it, alone, on stdout."""
    from docintake.services.auth import create_api_key

    with _admin_session() as (settings, session):
        env_id = _environment_id(settings, session, account, environment)
        _, plaintext = create_api_key(session, env_id, name, settings.api_key_prefix)
    typer.echo(plaintext)


@keys_app.command("list")
def keys_list() -> None:
    """Show every key's prefix, name, environment, creation, last use and revocation."""
    from docintake.services.auth import list_api_keys
    from docintake.storage.models import Account, Environment

    with _admin_session() as (_, session):
        typer.echo("PREFIX\tNAME\tACCOUNT/ENVIRONMENT\tCREATED\tLAST USED\tREVOKED")
        for key in list_api_keys(session):
            env = session.get(Environment, key.environment_id)
            account = session.get(Account, env.account_id) if env else None
            where = f"{account.name if account else '?'}/{env.name if env else '?'}"
            last = key.last_used_at.isoformat() if key.last_used_at else "never"
            revoked = key.revoked_at.isoformat() if key.revoked_at else "-"
            created = key.created_at.isoformat()
            typer.echo(f"{key.prefix}\t{key.name or '-'}\t{where}\t{created}\t{last}\t{revoked}")


@keys_app.command("revoke")
def keys_revoke(prefix: str) -> None:
    """Revoke the key with this prefix; requests with it answer 401 from now on."""
    from docintake.services.auth import revoke_api_key

    with _admin_session() as (_, session):
        revoke_api_key(session, prefix)
    typer.echo(f"revoked {prefix}", err=True)


@users_app.command("create")
def users_create(
    username: str,
    account: AccountOption = None,
    environment: EnvironmentOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a web user who can log in with POST /v1/auth/token."""
    from docintake.services.auth import create_user

    password = (
        sys.stdin.readline().rstrip("\r\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    with _admin_session() as (settings, session):
        create_user(session, _environment_id(settings, session, account, environment), username, password)
    typer.echo(f"created user {username}", err=True)


@app.command()
def extract(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders (searched recursively) or zips.")],
    mode: Annotated[
        str,
        typer.Option(
            metavar="speed|accuracy", help="Processing preference: picks the OCR engine from settings."
        ),
    ] = "speed",
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Exactly one JSON line per input file.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Process files in this many processes.")] = 1,
) -> None:
    """Process local files without a server or database and print the results.

    With --jsonl, one JSON object per file: {"file", "fields", "documents", ...}; otherwise a
    one-line summary per file.
    Exit code 2 when a given path does not exist (the others are still processed).
    """
    from docintake.local import run_extract

    if mode not in ("speed", "accuracy"):
        raise typer.BadParameter(f"{mode!r} is not one of 'speed', 'accuracy'", param_hint="'--mode'")
    code = run_extract(paths, mode=mode, jsonl=jsonl, workers=workers)
    if code:
        raise typer.Exit(code)


def main() -> None:
    app()
