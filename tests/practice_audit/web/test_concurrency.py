"""50 clinics submitting at the same moment over real HTTP: all stored, none mixed up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from sectool.practice_audit.models import AnswerValue, ClinicSize

CLINICS = 50


def _answers(web, i: int) -> dict[str, tuple[str, str]]:
    """A pattern unique to clinic ``i``: which optional questions are 'no', and a marker text."""
    answers = {}
    optional = [q for q in web.questions() if not q.must_pass]
    for n, q in enumerate(web.questions()):
        value = "yes"
        if not q.must_pass and (i >> (optional.index(q) % 6)) & 1:
            value = "no"
        answers[q.id] = (value, f"clinic-{i}-q{n}")
    return answers


@pytest.mark.slow
@pytest.mark.parametrize("channel", ["form", "api"])
def test_fifty_clinics_submit_at_once(web, channel) -> None:
    clinics = [web.invite(name=f"Samtidig {channel} {i}") for i in range(CLINICS)]
    start = threading.Barrier(CLINICS, timeout=60)

    def run(i: int) -> tuple[int, int]:
        clinic, token = clinics[i]
        answers = _answers(web, i)
        with httpx.Client(base_url=web.url, timeout=60) as client:
            if channel == "form":
                data = {"csrf_token": web.open_form(client, token), "action": "submit"}
                for qid, (value, text) in answers.items():
                    data[f"a:{qid}"] = value
                    data[f"j:{qid}"] = text
                start.wait()
                r = client.post(f"/c/{token}", data=data)
                ok = r.status_code == 303
                shown = client.get(f"/c/{token}/result").text
                assert f"Samtidig {channel} {i}<" in shown
            else:
                body = {"answers": {qid: {"value": v, "justification": t} for qid, (v, t) in answers.items()}}
                start.wait()
                r = client.post(
                    "/api/v1/clinic/submit", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                ok = r.status_code == 201
        return clinic.id, (1 if ok else 0)

    with ThreadPoolExecutor(max_workers=CLINICS) as pool:
        outcomes = list(pool.map(run, range(CLINICS)))
    assert sum(ok for _, ok in outcomes) == CLINICS

    for i, (clinic, _) in enumerate(clinics):
        subs = web.store.submissions(clinic.id)
        assert len(subs) == 1, clinic.name
        expected = _answers(web, i)
        got = {qid: (a.value.value, a.justification) for qid, a in subs[0].answers.answers.items()}
        assert got == expected, clinic.name
        nos = sum(1 for v, _ in expected.values() if v == AnswerValue.NO.value)
        assert len(subs[0].result.plan) == nos
    assert subs[0].size is ClinicSize.PARTNERSHIP
