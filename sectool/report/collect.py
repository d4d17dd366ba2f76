"""Adapters from the other areas' public outputs to the report's input model.

Each adapter reads a *stable* shape so that the report does not break when another
area refactors its internals:

* risk: the scored register's documented JSON (``ScoredRegister.to_dict()`` /
  ``sectool risk score --format json``, ``schema_version`` 1);
* practice: the self-assessment store (``Store.list_clinics`` + latest submissions), the
  admin export (``Store.export_rows`` as JSON), or answer files scored with the bank;
* traffic: finding dicts (``Finding.to_dict()``, one per line in the JSONL sink).

Heavy imports stay inside the functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sectool.errors import InputError
from sectool.report.model import (
    SEVERITIES,
    ClinicResult,
    Domain,
    Period,
    PracticeData,
    QuestionRef,
    RiskData,
    RiskFindingItem,
    RiskItem,
    RiskMatrixInfo,
    Text,
    TierInfo,
    TrafficData,
    TrafficFinding,
)
from sectool.yamlio import read_text

if TYPE_CHECKING:
    from sectool.practice_audit.models import QuestionBank, Result

__all__ = [
    "SERVICE_FIELDS",
    "practice_from_answer_files",
    "practice_from_export",
    "practice_from_results",
    "practice_from_store",
    "risk_from_register",
    "risk_from_scored_dict",
    "traffic_from_dicts",
    "traffic_from_jsonl",
]


def _need(obj: Mapping[str, Any], key: str, where: str, file: str | None) -> Any:
    if not isinstance(obj, Mapping) or key not in obj:
        raise InputError("missing field", file=file, field=f"{where}.{key}" if where else key)
    return obj[key]


def _text(raw: Any, fallback: str) -> Text:
    if isinstance(raw, Mapping) and isinstance(raw.get("da"), str) and isinstance(raw.get("en"), str):
        return Text(da=raw["da"], en=raw["en"])
    return Text(da=fallback, en=fallback)


# --------------------------------------------------------------------------- risk


def _tier(raw: Mapping[str, Any], like_idx: dict[int, int], imp_idx: dict[int, int]) -> TierInfo:
    return TierInfo(
        likelihood=like_idx.get(int(raw["likelihood"]), int(raw["likelihood"]) - 1),
        impact=imp_idx.get(int(raw["impact"]), int(raw["impact"]) - 1),
        level=str(raw["level"]),
        score=float(raw["score"]),
    )


def risk_from_scored_dict(data: Mapping[str, Any], *, file: str | None = None) -> RiskData:
    """Adapt the scored register JSON (``schema_version`` 1) of the risk area.

    Raises:
        InputError: not a scored register, or a field is missing (names the field).
    """
    if data.get("kind") != "sectool.iso27001.scored_register":
        raise InputError(
            "not a scored risk register",
            file=file,
            field="kind",
            expected="'sectool.iso27001.scored_register'",
        )
    if data.get("schema_version") != 1:
        raise InputError(
            "unsupported schema_version", file=file, field="schema_version", value=data.get("schema_version")
        )
    try:
        matrix = _need(data, "matrix", "", file)
        likelihood = list(_need(matrix, "likelihood", "matrix", file))
        impact = list(_need(matrix, "impact", "matrix", file))
        levels = list(_need(matrix, "risk_levels", "matrix", file))
        like_idx = {int(lv["value"]): i for i, lv in enumerate(likelihood)}
        imp_idx = {int(lv["value"]): i for i, lv in enumerate(impact)}
        cells = [["" for _ in impact] for _ in likelihood]
        heat = _need(data, "heatmap", "", file)
        for cell in _need(heat, "inherent", "heatmap", file):
            li = like_idx.get(int(cell["likelihood"]), int(cell["likelihood"]) - 1)
            ii = imp_idx.get(int(cell["impact"]), int(cell["impact"]) - 1)
            cells[li][ii] = str(cell["level"])
        info = RiskMatrixInfo(
            likelihood_levels=[str(lv["name"]) for lv in likelihood],
            impact_levels=[str(lv["name"]) for lv in impact],
            cell_levels=cells,
            level_colours={str(lv["name"]): str(lv["colour"]) for lv in levels},
            level_order=[str(lv["name"]) for lv in sorted(levels, key=lambda lv: int(lv["rank"]))],
            level_labels={str(lv["name"]): _text(lv.get("label"), str(lv["name"])) for lv in levels},
            likelihood_labels=[_text(lv.get("label"), str(lv["name"])) for lv in likelihood],
            impact_labels=[_text(lv.get("label"), str(lv["name"])) for lv in impact],
        )
        risks = [
            RiskItem(
                id=str(r["id"]),
                title=str(r.get("title") or r["id"]),
                owner=r.get("owner") or None,
                inherent=_tier(r["inherent"], like_idx, imp_idx),
                current=_tier(r["current"], like_idx, imp_idx),
                residual=_tier(r["residual"], like_idx, imp_idx),
                above_appetite=bool(r.get("above_appetite")),
                treatment=r.get("treatment"),
            )
            for r in _need(data, "risks", "", file)
        ]
        findings = [
            RiskFindingItem(
                kind=str(f["code"]),
                risk_id=f.get("risk_id"),
                message=Text(da=str(f.get("message_da") or f["message"]), en=str(f["message"])),
            )
            for f in data.get("findings") or []
        ]
        register = _need(data, "register", "", file)
        appetite = register.get("appetite")
        return RiskData(
            register_name=str(register.get("name") or ""),
            as_of=date.fromisoformat(str(_need(data, "as_of", "", file))),
            appetite=str(appetite) if appetite else "–",
            matrix=info,
            risks=risks,
            findings=findings,
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"malformed scored register: {exc}", file=file) from None


def risk_from_register(
    path: str | Path, *, as_of: date, matrix: str | Path | None = None
) -> tuple[RiskData, dict[str, Any]]:
    """Load and score a register file with the risk area's library; return the data and its JSON."""
    from sectool.iso27001.load import load_register
    from sectool.iso27001.scoring import matrix_for, score_register

    register = load_register(path)
    scored = score_register(register, matrix_for(register, matrix), as_of=as_of)
    as_dict = scored.to_dict()
    return risk_from_scored_dict(as_dict, file=str(path)), as_dict


# --------------------------------------------------------------------------- practice


_STATUS = {"standards_met": "met", "met": "met", "approaching": "approaching", "not_met": "not_met"}


def _bank_refs(bank: QuestionBank) -> tuple[list[Domain], list[QuestionRef]]:
    domains = [Domain(id=d.id, title=Text(da=d.title.da, en=d.title.en)) for d in bank.domains]
    questions = [
        QuestionRef(id=q.id, domain=q.domain, text=Text(da=q.text.da, en=q.text.en)) for q in bank.questions
    ]
    return domains, questions


def _clinic(name: str, size: str | None, submitted_at: date | None, result: Result | None) -> ClinicResult:
    if result is None:
        return ClinicResult(name=name, size=size, submitted=False)
    return ClinicResult(
        name=name,
        size=size,
        submitted=True,
        submitted_at=submitted_at,
        status=_STATUS[str(result.status)],
        maturity=result.maturity,
        score=round(result.overall_percent, 1),
        domain_scores={d.domain: round(d.percent, 1) for d in result.domains if d.percent is not None},
        gaps=[p.question_id for p in result.plan],
    )


def practice_from_results(
    bank: QuestionBank, clinics: Sequence[tuple[str, str | None, date | None, Result | None]]
) -> PracticeData:
    """From scored results: ``(clinic name, size, submitted on, result or None)`` per invited clinic."""
    domains, questions = _bank_refs(bank)
    return PracticeData(
        domains=domains,
        questions=questions,
        clinics=[_clinic(name, size, when, result) for name, size, when, result in clinics],
    )


def check_sqlite_exists(url: str, *, field: str = "--audit-db") -> None:
    """A SQLite URL must name an existing file: opening a mistyped path would create an empty
    database and the report would silently say "no data".

    Raises:
        InputError: the URL is not a database URL, or its SQLite file does not exist.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            "not a database URL", field=field, value=url, expected="e.g. sqlite:///audit.db"
        ) from None
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise InputError(
            "database file not found", file=database, field=field, expected="an existing SQLite file"
        )


def practice_from_store(url: str | None, *, period: Period, field: str = "--audit-db") -> PracticeData:
    """Every clinic in the self-assessment database with its latest submission up to the period's end.

    A clinic invited after the period counts as not invited; one with no submission by the
    end of the period counts as invited, not submitted.

    Raises:
        InputError: a SQLite URL whose file does not exist (see :func:`check_sqlite_exists`).
    """
    if url is not None:
        check_sqlite_exists(url, field=field)
    from sectool.practice_audit.store import Store

    store = Store(url)
    try:
        rows: list[tuple[str, str | None, date | None, Result | None]] = []
        for c in store.list_clinics():
            if c.invited_at >= period.end_dt:
                continue
            subs = [s for s in store.submissions(c.clinic_id) if s.submitted_at < period.end_dt]
            latest = max(subs, key=lambda s: s.version) if subs else None
            rows.append(
                (
                    c.name,
                    str(c.size),
                    latest.submitted_at.date() if latest else None,
                    latest.result if latest else None,
                )
            )
        return practice_from_results(store.bank, rows)
    finally:
        store.close()


def practice_from_answer_files(paths: Iterable[str | Path], *, as_of: date) -> PracticeData:
    """Score answer files (the offline format) with the packaged question bank.

    When several files name the same clinic, the one with the latest ``as_of`` is used
    (a clinic's history: last year's and this year's submissions).
    """
    from sectool.practice_audit.answers_file import load_answers_file
    from sectool.practice_audit.bank import load_bank
    from sectool.practice_audit.scoring import score

    bank = load_bank()
    latest: dict[str, tuple[str, str | None, date | None, Result | None]] = {}
    for path in paths:
        doc = load_answers_file(path, bank)
        when = doc.as_of or as_of
        if when > as_of:
            continue  # answered after the reporting date
        result = score(bank, doc.answers, doc.size, as_of=when)
        name = doc.clinic or Path(path).stem
        prev = latest.get(name)
        if prev is None or prev[2] is None or when >= prev[2]:
            latest[name] = (name, str(doc.size), when, result)
    return practice_from_results(bank, [latest[k] for k in sorted(latest)])


def _opt_float(raw: Any, file: str, where: str) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise InputError("not a number", file=file, field=where, value=raw) from None


def practice_from_export(path: str | Path) -> PracticeData:
    """From the admin JSON export: ``{"generated_at": ..., "clinics": [...]}`` as written by
    ``sectool audit export --format json`` and the web admin, a bare list of rows, or ``{"rows": [...]}``.

    The export has domain percentages and the must-pass questions missing, not every gap,
    so "most common gaps" counts the missing must-pass requirements.
    """
    file = str(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno) from None
    rows = data.get("clinics", data.get("rows")) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise InputError("expected a list of clinic rows", file=file, field="clinics")
    domains: dict[str, Domain] = {}
    clinics: list[ClinicResult] = []
    for i, row in enumerate(rows):
        where = f"rows[{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("clinic"), str):
            raise InputError("row without a clinic name", file=file, field=f"{where}.clinic")
        scores: dict[str, float] = {}
        for key, value in row.items():
            if key.startswith("domain_"):
                dom = key[len("domain_") :]
                domains.setdefault(dom, Domain(id=dom, title=Text(da=dom, en=dom)))
                number = _opt_float(value, file, f"{where}.{key}")
                if number is not None:
                    scores[dom] = number
        status = row.get("status")
        if status in (None, ""):
            clinics.append(ClinicResult(name=row["clinic"], size=row.get("size"), submitted=False))
            continue
        if status not in _STATUS:
            raise InputError(
                "unknown status",
                file=file,
                field=f"{where}.status",
                value=status,
                expected="standards_met, approaching or not_met",
            )
        submitted = row.get("submitted_at")
        missing = row.get("must_pass_missing") or ""
        clinics.append(
            ClinicResult(
                name=row["clinic"],
                size=row.get("size"),
                submitted=True,
                submitted_at=datetime.fromisoformat(submitted).date() if submitted else None,
                status=_STATUS[status],
                maturity=int(_opt_float(row.get("maturity"), file, f"{where}.maturity") or 1),
                score=_opt_float(row.get("overall_percent"), file, f"{where}.overall_percent"),
                domain_scores=scores,
                gaps=str(missing).split() if isinstance(missing, str) else [str(x) for x in missing],
            )
        )
    try:
        from sectool.practice_audit.bank import load_bank

        bank_domains, questions = _bank_refs(load_bank())
        known = {d.id for d in bank_domains}
        merged = bank_domains + [d for d in domains.values() if d.id not in known]
    except ImportError:  # pragma: no cover - the bank ships with sectool
        merged, questions = list(domains.values()), []
    return PracticeData(domains=merged, questions=questions, clinics=clinics)


# --------------------------------------------------------------------------- traffic

#: Entity fields naming the service a finding concerns, most specific first.
SERVICE_FIELDS = (
    "url.domain",
    "destination.domain",
    "dns.question.registered_domain",
    "dns.question.name",
    "server.domain",
    "host.name",
    "observer.name",
    "destination.ip",
)


def _scalars(evidence: Any) -> dict[str, float | int | str]:
    """The scalar entries of a finding's evidence (lists and objects are not needed for the text)."""
    if not isinstance(evidence, Mapping):
        return {}
    return {
        str(k): v for k, v in evidence.items() if isinstance(v, int | float | str) and not isinstance(v, bool)
    }


def _finding(item: Mapping[str, Any], file: str | None, line: int | None, where: str) -> TrafficFinding:
    """One finding dict; errors name the file and line (JSONL) or the item index, the field and the value."""

    def field(name: str) -> str:
        return f"{where}.{name}" if where else name

    def need(obj: Any, key: str, prefix: str = "") -> Any:
        name = f"{prefix}.{key}" if prefix else key
        if not isinstance(obj, Mapping) or key not in obj:
            raise InputError("missing field", file=file, line=line, field=field(name))
        return obj[key]

    def when(obj: Any, key: str) -> datetime:
        raw = need(obj, key, "window")
        try:
            value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                "not an ISO 8601 time",
                file=file,
                line=line,
                field=field(f"window.{key}"),
                value=raw,
                expected="e.g. 2026-11-24T10:00:00Z",
            ) from None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    entity = item.get("entity")
    if isinstance(entity, Mapping):
        value = str(entity.get("value", ""))
        fields = entity.get("fields") or {}
    else:
        value, fields = str(entity or ""), {}
    service = next(
        (str(fields[f]) for f in SERVICE_FIELDS if isinstance(fields, Mapping) and f in fields), None
    )
    window = item.get("window") or {}
    severity = need(item, "severity")
    if severity not in SEVERITIES:
        raise InputError(
            "unknown severity",
            file=file,
            line=line,
            field=field("severity"),
            value=severity,
            expected=", ".join(SEVERITIES),
        )
    raw_score = item.get("score") or 0.0
    try:
        score = float(raw_score)
    except (TypeError, ValueError):
        raise InputError(
            "not a number", file=file, line=line, field=field("score"), value=raw_score, expected="0 to 1"
        ) from None
    window_start, window_end = when(window, "start"), when(window, "end")
    fid = str(item.get("id") or f"{item.get('detector')}:{value}:{window.get('start')}")
    return TrafficFinding(
        id=fid,
        detector=str(need(item, "detector")),
        severity=severity,
        score=score,
        entity=value,
        service=service,
        window_start=window_start,
        window_end=window_end,
        techniques=[str(t) for t in item.get("techniques") or []],
        status="closed" if item.get("status") == "closed" else "open",
        summary=str(item.get("title") or ""),
        evidence=_scalars(item.get("evidence")),
    )


def traffic_from_dicts(
    items: Iterable[Mapping[str, Any]],
    *,
    file: str | None = None,
    origins: Sequence[tuple[str, int]] | None = None,
    data_from: datetime | None = None,
    data_until: datetime | None = None,
) -> TrafficData:
    """From finding dicts (``Finding.to_dict()``); a repeated id keeps its last version.

    Args:
        origins: ``(file, line)`` of each item (JSONL), for error messages; else errors name
            ``file`` (if given) and the item's index.
    """
    found: dict[str, TrafficFinding] = {}
    for n, item in enumerate(items):
        src: str | None
        line: int | None
        if origins is not None:
            src, line, where = origins[n][0], origins[n][1], ""
        else:
            src, line, where = file, None, f"findings[{n}]"
        finding = _finding(item, src, line, where)
        found[finding.id] = finding
    findings = list(found.values())
    if data_from is None and findings:
        data_from = min(f.window_start for f in findings)
    if data_until is None and findings:
        data_until = max(f.window_end for f in findings)
    return TrafficData(data_from=data_from, data_until=data_until, findings=findings)


def traffic_from_jsonl(
    paths: Iterable[str | Path], *, data_from: datetime | None = None, data_until: datetime | None = None
) -> TrafficData:
    """From JSONL files of findings (the traffic area's JSONL sink)."""
    from sectool.traffic.readers.common import json_object

    items: list[Mapping[str, Any]] = []
    origins: list[tuple[str, int]] = []
    for path in map(str, paths):
        for n, line in enumerate(read_text(path).splitlines(), start=1):
            if line.strip():
                items.append(json_object(Path(path), n, line))
                origins.append((path, n))
    return traffic_from_dicts(items, origins=origins, data_from=data_from, data_until=data_until)
