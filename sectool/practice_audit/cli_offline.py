"""``sectool audit template|score|import|invite|export``: the offline path and the officer's tools."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import typer

from sectool.errors import InputError

if TYPE_CHECKING:  # the models load with the commands, not with `sectool --help`
    from .models import Lang

__all__ = ["BASE_URL_ENV", "DEFAULT_BASE_URL", "invitation_link", "register"]

BASE_URL_ENV = "SECTOOL_AUDIT_BASE_URL"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class LangOpt(StrEnum):
    da = "da"
    en = "en"


class SizeOpt(StrEnum):
    solo = "solo"
    partnership = "partnership"
    large = "large"


class ScoreFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


def invitation_link(base_url: str, token: str) -> str:
    """The link a clinic opens: ``<base>/c/<token>`` (the web app's clinic route)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError("not an http(s) base URL", field="--base-url", value=base_url)
    return f"{base_url.rstrip('/')}/c/{quote(token, safe='')}"


def _write_or_print(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from sectool.fileio import atomic_write_text

    atomic_write_text(output, text)


def _lang(opt: LangOpt) -> Lang:
    return "en" if opt is LangOpt.en else "da"


def _now() -> datetime:
    return datetime.now(UTC)


def register(app: typer.Typer) -> None:
    """Add the offline commands to the audit sub-app."""

    @app.command("template")
    def template(
        size: SizeOpt = typer.Option(..., "--size", help="Clinic size: solo, partnership or large."),
        lang: LangOpt = typer.Option(LangOpt.da, "--lang", help="Language of the comments."),
        output: Path | None = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout."),
        clinic: str | None = typer.Option(None, "--clinic", help="Pre-fill the clinic name."),
        provider_number: str | None = typer.Option(
            None, "--provider-number", help="Pre-fill the provider number."
        ),
    ) -> None:
        """Write a fill-in answers file (YAML) with every question as a comment."""
        from .bank import load_bank
        from .models import ClinicSize
        from .template import render_template

        text = render_template(
            load_bank(),
            ClinicSize(size.value),
            _lang(lang),
            clinic=clinic,
            provider_number=provider_number,
            file_hint=str(output) if output else "answers.yaml",
        )
        _write_or_print(text, output)

    @app.command("score")
    def score_cmd(
        file: Path = typer.Argument(..., help="Answers file (YAML), e.g. from 'sectool audit template'."),
        lang: LangOpt | None = typer.Option(
            None, "--lang", help="Output language (default: the file's or da)."
        ),
        fmt: ScoreFormat = typer.Option(ScoreFormat.table, "--format", help="table, json or md."),
        size: SizeOpt | None = typer.Option(None, "--size", help="Override the size given in the file."),
        as_of: datetime | None = typer.Option(
            None, "--as-of", formats=["%Y-%m-%d"], help="Assessment date (default: the file's, or today)."
        ),
        previous: Path | None = typer.Option(
            None, "--previous", help="A previous answers file to compare with."
        ),
        output: Path | None = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout."),
    ) -> None:
        """Score an answers file with the same engine as the web form."""
        from sectool.console import out

        from .answers_file import load_answers_file
        from .bank import load_bank
        from .compare import compare
        from .export import print_result, result_json, result_markdown
        from .models import ClinicSize
        from .scoring import score

        bank = load_bank()
        want_size = ClinicSize(size.value) if size else None
        doc = load_answers_file(file, bank, size=want_size)
        day: date = as_of.date() if as_of else (doc.as_of or _now().date())
        result = score(bank, doc.answers, doc.size, as_of=day)
        comparison = None
        if previous is not None:
            prev = load_answers_file(previous, bank, size=want_size)
            prev_result = score(bank, prev.answers, prev.size, as_of=prev.as_of or day)
            comparison = compare(prev_result, result)
        language: Lang = _lang(lang) if lang else (doc.lang or "da")
        if fmt is ScoreFormat.json:
            _write_or_print(result_json(result, comparison), output)
        elif fmt is ScoreFormat.md:
            text = result_markdown(result, language, clinic=doc.clinic, comparison=comparison)
            _write_or_print(text, output)
        elif output is not None:
            import io

            from rich.console import Console

            buffer = io.StringIO()
            console = Console(file=buffer, width=120, color_system=None)
            print_result(console, result, language, clinic=doc.clinic, comparison=comparison)
            _write_or_print(buffer.getvalue(), output)
        else:
            print_result(out, result, language, clinic=doc.clinic, comparison=comparison)

    @app.command("import")
    def import_cmd(
        file: Path = typer.Argument(..., help="Answers file (YAML)."),
        clinic: str | None = typer.Option(None, "--clinic", help="Clinic name (default: from the file)."),
        provider_number: str | None = typer.Option(
            None, "--provider-number", help="Provider number (default: from the file)."
        ),
        size: SizeOpt | None = typer.Option(None, "--size", help="Clinic size (default: from the file)."),
        db: str | None = typer.Option(None, "--db", help="Database URL (default: $SECTOOL_AUDIT_DB)."),
        update: bool = typer.Option(
            False, "--update", help="Allow changing the name or size of the clinic with this provider number."
        ),
        allow_duplicate: bool = typer.Option(
            False,
            "--allow-duplicate",
            help="Store the answers even when they equal the clinic's latest submission.",
        ),
    ) -> None:
        """Store an answers file as the clinic's next submission.

        Importing the same answers again is skipped (exit 0), so a retried or scheduled import
        does not add versions that distort the year-on-year comparison.
        """
        from sectool.console import out
        from sectool.safetext import strip_controls

        from .answers_file import load_answers_file
        from .bank import load_bank
        from .i18n import maturity_label, status_label
        from .models import ClinicSize
        from .store import Store

        bank = load_bank()
        doc = load_answers_file(file, bank, size=ClinicSize(size.value) if size else None)
        name = clinic or doc.clinic
        number = provider_number or doc.provider_number
        if not name:
            raise InputError(
                "the clinic name is missing", file=file, expected="--clinic NAME or clinic: in the file"
            )
        if not number:
            raise InputError(
                "the provider number is missing",
                file=file,
                expected="--provider-number N or provider_number: in the file",
            )
        now = _now()
        if doc.as_of is not None:
            # A paper or e-mailed assessment keeps its own date (due dates are judged against it).
            if doc.as_of > now.date():
                raise InputError(
                    "as_of lies in the future", file=file, field="as_of", value=doc.as_of.isoformat()
                )
            now = datetime.combine(doc.as_of, time(12, 0), tzinfo=UTC)
        store = Store(db, bank=bank)
        try:
            target = store.ensure_clinic(
                clinic_name=name, provider_number=number, size=doc.size, now=now, update=update
            )
            latest = store.latest_submission(target.id)
            if (
                not allow_duplicate
                and latest is not None
                and latest.answers == doc.answers
                and latest.size is doc.size
            ):
                out.print(
                    f"skipped: these answers are already stored as version {latest.version} for "
                    f"{strip_controls(target.name)} ({target.provider_number}); "
                    "use --allow-duplicate to store them again",
                    markup=False,
                    highlight=False,
                )
                return
            sub = store.submit(target.id, doc.answers, now=now)
        finally:
            store.close()
        r = sub.result
        out.print(
            f"stored version {sub.version} for {strip_controls(target.name)} ({target.provider_number}): "
            f"{status_label(r.status, 'en')}, maturity {maturity_label(r.maturity, 'en')}, "
            f"{r.overall_percent:.0f} %",
            markup=False,
            highlight=False,
        )

    @app.command("invite")
    def invite(
        clinic: str = typer.Option(..., "--clinic", help="Clinic name."),
        provider_number: str = typer.Option(..., "--provider-number", help="The clinic's provider number."),
        size: SizeOpt = typer.Option(..., "--size", help="solo, partnership or large."),
        expires_days: int = typer.Option(
            30, "--expires-days", min=1, max=366, help="Days the link is valid."
        ),
        base_url: str | None = typer.Option(
            None, "--base-url", help=f"Web app address (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})."
        ),
        db: str | None = typer.Option(None, "--db", help="Database URL (default: $SECTOOL_AUDIT_DB)."),
        update: bool = typer.Option(
            False, "--update", help="Allow changing the name or size of the clinic with this provider number."
        ),
    ) -> None:
        """Invite a clinic: print the link with its secret token (shown only this once).

        Re-inviting a clinic (same provider number) keeps its history; earlier links stay
        valid until they expire or are revoked, and the output says so.
        """
        from sectool.console import err, out
        from sectool.safetext import strip_controls

        from .store import Store

        base = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        invitation_link(base, "x")  # validate the base URL before anything is stored
        store = Store(db)
        try:
            now = _now()
            target, token = store.create_invitation(
                clinic_name=clinic,
                provider_number=provider_number,
                size=size.value,
                expires_at=now + timedelta(days=expires_days),
                now=now,
                update=update,
            )
            older = len(store.open_invitations(target.id, now=now)) - 1
        finally:
            store.close()
        expiry = target.token_expires_at.isoformat(timespec="minutes") if target.token_expires_at else "?"
        if older > 0:
            many = older > 1
            others = (
                f" {older} older link{'s' if many else ''} of this clinic "
                f"{'remain' if many else 'remains'} valid until {'they expire' if many else 'it expires'} "
                "(revoke them in the admin view if they were sent to the wrong place)."
            )
        else:
            others = " No older link of this clinic is valid."
        shown = strip_controls(target.name)
        err.print(
            f"invited {shown} ({target.provider_number}); the link expires {expiry}.{others} "
            "It is shown only once: send it to the clinic through a secure channel.",
            markup=False,
            highlight=False,
        )
        out.print(invitation_link(base, token), markup=False, highlight=False, soft_wrap=True)

    @app.command("export")
    def export(
        fmt: ExportFormat = typer.Option(ExportFormat.csv, "--format", help="csv or json."),
        output: Path | None = typer.Option(None, "-o", "--output", help="Write to FILE instead of stdout."),
        all_versions: bool = typer.Option(
            False, "--all-versions", help="One row per submission instead of the latest per clinic."
        ),
        db: str | None = typer.Option(None, "--db", help="Database URL (default: $SECTOOL_AUDIT_DB)."),
    ) -> None:
        """Export every clinic's status, maturity and domain scores (for the forum report)."""
        from .export import admin_csv, admin_json
        from .store import Store

        store = Store(db)
        try:
            rows = store.export_rows(all_versions=all_versions)
            columns = store.export_columns()
        finally:
            store.close()
        csv = fmt is ExportFormat.csv
        text = admin_csv(rows, columns) if csv else admin_json(rows, generated_at=_now())
        _write_or_print(text, output)
