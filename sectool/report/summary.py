"""The plain-language summary: three to five sentences generated from the numbers.

Order: how many indicators meet their target; what improved and what got worse since
the previous period (or that this is the first report); the practice sector and the
traffic in one sentence each when there is room; what needs a decision by the forum.
"""

from __future__ import annotations

from sectool.report.i18n import Translator
from sectool.report.numbers import IndicatorResult, PracticeSection, RiskSection, TrafficSection

__all__ = ["summarise"]

_MAX_ITEMS = 3


def _items(t: Translator, results: list[IndicatorResult]) -> str:
    names = [r.title.get(t.lang).rstrip(".") for r in results[:_MAX_ITEMS]]
    if len(results) > _MAX_ITEMS:
        names.append(f"+{len(results) - _MAX_ITEMS}")
    first, *rest = names
    return "; ".join([first[:1].lower() + first[1:], *[n[:1].lower() + n[1:] for n in rest]])


def summarise(
    t: Translator,
    *,
    period: str,
    previous_period: str | None,
    indicators: list[IndicatorResult],
    risk: RiskSection | None,
    practice: PracticeSection | None,
    traffic: TrafficSection | None,
) -> list[str]:
    """Return 3-5 sentences in ``t``'s language."""
    sentences: list[str] = []
    with_data = [r for r in indicators if r.met is not None]
    if with_data:
        sentences.append(
            t("sum_overview", period=period, met=sum(1 for r in with_data if r.met), total=len(with_data))
        )
    else:
        sentences.append(t("sum_no_indicators", period=period))

    if previous_period is None:
        sentences.append(t("sum_first"))
    else:
        improved = [r for r in indicators if r.trend == "improved"]
        worse = [r for r in indicators if r.trend == "worse"]
        if improved:
            sentences.append(t("sum_improved", period=previous_period, items=_items(t, improved)))
        if worse:
            sentences.append(t("sum_worse", period=previous_period, items=_items(t, worse)))
        else:
            sentences.append(t("sum_no_change", period=previous_period))

    extra: list[str] = []
    if practice is not None and practice.invited:
        extra.append(
            t(
                "sum_practice",
                submitted=t.count(practice.submitted),
                invited=t.count(practice.invited),
                met=t.count(practice.status_counts.get("met", 0)),
            )
        )
    if traffic is not None:
        extra.append(t("sum_traffic", total=t.count(traffic.total), open_high=t.count(traffic.open_high)))
    missing = [
        t(key)
        for key, section in (("s_risk", risk), ("s_practice", practice), ("s_traffic", traffic))
        if section is None
    ]
    if missing:
        extra.append(t("sum_missing", items=", ".join(m.lower() for m in missing)))

    if risk is not None:
        above, expired = len(risk.above_appetite), len(risk.acceptance_expired)
        if above and expired:
            decision = t("sum_decision", above=t.count(above), expired=t.count(expired))
        elif above:
            decision = t("sum_decision_above", above=t.count(above))
        elif expired:
            decision = t("sum_decision_expired", expired=t.count(expired))
        else:
            decision = t("sum_decision_none")
    else:
        decision = None
    # Keep to five sentences: the decision always comes last, context fills the room before it.
    room = 5 - len(sentences) - (1 if decision else 0)
    sentences.extend(extra[: max(room, 0)])
    if decision:
        sentences.append(decision)
    return sentences[:5]
