"""What-if for program managers: ``/simulasi``.

Change a decile cut, an amount or a quota of a program (the overrides of ``tepat eligibility
simulate --set program.parameter=value``), run it against the current release, and compare
beneficiaries, yearly cost and inclusion/exclusion error with the current rules, by program and
by region. A simulation over a million people takes seconds, so it runs in a background job
(``tepat.pages.jobs``); the result page polls with htmx and, without JavaScript, has a link to
reload. Each simulation is written to the audit log (it reads no personal data, but it is a
use of the registry's decisions).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from tepat.access import audit
from tepat.access.roles import Role
from tepat.eligibility.rules import RuleSet
from tepat.errors import InvalidInput, NotFound, TepatError
from tepat.pages.i18n import Translate
from tepat.pages.jobs import Job, registry
from tepat.pages.render import render
from tepat.pages.session import PageUser, check_csrf, require_page_role
from tepat.reference.regions import regions
from tepat.release.publish import MANIFEST, current_release, releases_dir
from tepat.web.deps import AppSettings, DbSession

router = APIRouter()

ROLES: Final[tuple[Role, ...]] = ("program_manager", "national_admin")
ROWS: Final = 3
LEVELS: Final = ("regency", "district", "village")
REGION_PAGE: Final = 50
JOB_ID = re.compile(r"^[A-Za-z0-9_-]{6,40}$")
_NUMBER_NOISE = re.compile(r"[\s._',]")


def _release(data_dir: Path) -> tuple[str, Path]:
    """The current release (its id and folder); 404 page before the first release."""
    rid = current_release(data_dir)
    if rid is None:
        raise NotFound("there is no release yet: run `tepat cycle`", code="no_release")
    return rid, releases_dir(data_dir) / rid


def _rules(folder: Path) -> RuleSet:
    from tepat.release.read import release_rules

    return release_rules(folder)


def parameters(rules: RuleSet) -> list[dict[str, Any]]:
    """Every numeric parameter a simulation may change, with its current value."""
    out = []
    for pid, program in sorted(rules.programs.items()):
        for name, p in program.parameters.items():
            if isinstance(p.value, int) and not isinstance(p.value, bool):
                out.append(
                    {
                        "key": f"{pid}.{name}",
                        "program": pid,
                        "name": name,
                        "value": p.value,
                        "uncertain": p.uncertain,
                        "kind": _kind(name),
                    }
                )
    return out


def _kind(name: str) -> str:
    if "desil" in name:
        return "desil"
    if "quota" in name:
        return "quota"
    if any(w in name for w in ("amount", "premium", "cost", "tuition")):
        return "amount"
    return "other"


def parse_number(text: str) -> int | None:
    """A whole number as people type it (``250.000``, ``Rp 250000``, ``3``), else None."""
    cleaned = _NUMBER_NOISE.sub("", text.strip())
    cleaned = re.sub(r"^(?i:rp)", "", cleaned)
    if re.fullmatch(r"-?\d{1,15}", cleaned):
        return int(cleaned)
    return None


def check_changes(
    rules: RuleSet, rows: list[tuple[str, str]], t: Translate
) -> tuple[dict[str, int], dict[str, str]]:
    """The overrides of the form's rows, and a message per field at fault (``key_1``...)."""
    overrides: dict[str, int] = {}
    errors: dict[str, str] = {}
    for i, (key_text, value_text) in enumerate(rows, 1):
        key, value = key_text.strip(), value_text.strip()
        kf, vf = f"key_{i}", f"value_{i}"
        if not key and not value:
            continue
        if not key:
            errors[kf] = t("simulation.error_key_missing")
            continue
        owner, _, name = key.partition(".")
        program = rules.programs.get(owner)
        if not name:
            errors[kf] = t("simulation.error_key_form")
        elif program is None:
            errors[kf] = t(
                "simulation.error_program", program=owner, known=", ".join(sorted(rules.programs))
            )
        elif name not in program.parameters:
            errors[kf] = t(
                "simulation.error_parameter",
                program=owner,
                name=name,
                known=", ".join(
                    n
                    for n, p in program.parameters.items()
                    if isinstance(p.value, int) and not isinstance(p.value, bool)
                ),
            )
        elif not isinstance(program.parameters[name].value, int) or isinstance(
            program.parameters[name].value, bool
        ):
            errors[kf] = t("simulation.error_not_numeric")
        elif key in overrides:
            errors[kf] = t("simulation.error_duplicate")
        if not value:
            errors[vf] = t("simulation.error_value_missing")
            continue
        number = parse_number(value)
        if number is None:
            errors[vf] = t("simulation.error_not_number")
        elif number < 0:
            errors[vf] = t("simulation.error_negative")
        elif "desil" in name and name != "exclude_desil_up_to" and not 1 <= number <= 10:
            errors[vf] = t("simulation.error_desil")
        elif name == "exclude_desil_up_to" and not 0 <= number <= 10:
            errors[vf] = t("simulation.error_desil_zero")
        if kf in errors or vf in errors or number is None:
            continue
        try:
            rules.with_overrides({key: number})
        except InvalidInput as exc:
            errors[vf] = t("simulation.error_rejected", detail=exc.message)
            continue
        overrides[key] = number
    if not errors and not overrides:
        errors["form"] = t("simulation.error_nothing")
    if not errors:
        try:
            rules.with_overrides(overrides)
        except InvalidInput as exc:  # changes that are fine alone but not together
            errors["form"] = t("simulation.error_rejected", detail=exc.message)
    return overrides, errors


def _form_context(
    rules: RuleSet, release_id: str, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "release_id": release_id,
        "params": parameters(rules),
        "rows": list(range(1, ROWS + 1)),
        "values": values,
        "errors": errors,
        "levels": LEVELS,
    }


def _values(
    keys: list[str], vals: list[str], level: str
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    values = {"level": level if level in LEVELS else "district"}
    rows = []
    for i in range(ROWS):
        k = keys[i] if i < len(keys) else ""
        v = vals[i] if i < len(vals) else ""
        values[f"key_{i + 1}"], values[f"value_{i + 1}"] = k, v
        rows.append((k, v))
    return values, rows


@router.get("/simulasi")
def simulation_form(
    request: Request,
    user: PageUser,
    settings: AppSettings,
    key_1: str = "",
    value_1: str = "",
    key_2: str = "",
    value_2: str = "",
    key_3: str = "",
    value_3: str = "",
    level: str = "district",
) -> Response:
    """The form (prefilled from the query, e.g. from a result's 'change again')."""
    require_page_role(user, *ROLES)
    release_id, folder = _release(settings.data_dir)
    values, _ = _values(
        [key_1[:80], key_2[:80], key_3[:80]], [value_1[:30], value_2[:30], value_3[:30]], level
    )
    if not any(values[f"key_{i}"] for i in range(1, ROWS + 1)):
        values["key_1"] = "pkh.max_desil"
    return render(
        request, "simulation/form.html", _form_context(_rules(folder), release_id, values, {})
    )


def _work(folder: Path, overrides: dict[str, int], level: str) -> dict[str, Any]:
    """The simulation itself (runs in the job thread)."""
    import json

    from tepat.eligibility.simulate import simulate
    from tepat.release.read import open_release, release_rules

    con, manifest = open_release(folder)
    try:
        con.execute("SET threads = 2")
        current = release_rules(folder)
        changed = current.with_overrides(overrides)
        result = simulate(
            con,
            current,
            changed,
            date.fromisoformat(manifest["data_cut"]),
            level=f"{level}_code",
        )
    finally:
        con.close()
    names = {p["program"]: p for p in json.loads((folder / MANIFEST).read_text())["programs"]}
    result["names"] = names
    return result


@router.post("/simulasi")
def simulation_start(
    request: Request,
    user: PageUser,
    db: DbSession,
    settings: AppSettings,
    csrf: Annotated[str, Form(max_length=100)] = "",
    key_1: Annotated[str, Form(max_length=80)] = "",
    value_1: Annotated[str, Form(max_length=30)] = "",
    key_2: Annotated[str, Form(max_length=80)] = "",
    value_2: Annotated[str, Form(max_length=30)] = "",
    key_3: Annotated[str, Form(max_length=80)] = "",
    value_3: Annotated[str, Form(max_length=30)] = "",
    level: Annotated[str, Form(max_length=20)] = "district",
) -> Response:
    """Check the changes; start the simulation and go to its result page, or show the form."""
    check_csrf(request, csrf)
    require_page_role(user, *ROLES)
    release_id, folder = _release(settings.data_dir)
    rules = _rules(folder)
    values, rows = _values([key_1, key_2, key_3], [value_1, value_2, value_3], level)
    from tepat.pages.i18n import translator
    from tepat.pages.render import request_lang

    t = translator(request_lang(request))
    overrides, errors = check_changes(rules, rows, t)
    if errors:
        context = _form_context(rules, release_id, values, errors)
        return render(request, "simulation/form.html", context, status_code=422)
    chosen = values["level"]
    try:
        job = registry(request.app).submit(
            "simulation",
            lambda: _work(folder, overrides, chosen),
            owner=user.username,
            params={"release_id": release_id, "overrides": overrides, "level": chosen},
        )
    except TepatError:
        errors = {"form": t("simulation.error_busy")}
        context = _form_context(rules, release_id, values, errors)
        return render(request, "simulation/form.html", context, status_code=503)
    audit.record(
        db,
        user,
        action="eligibility.simulation.run",
        purpose=None,
        entity="release",
        entity_id=release_id,
        detail={"overrides": overrides, "level": chosen, "job": job.id},
    )
    return RedirectResponse(f"/simulasi/{job.id}", status_code=303)


def _job(request: Request, job_id: str, username: str) -> Job:
    job = registry(request.app).get(job_id, owner=username) if JOB_ID.match(job_id) else None
    if job is None or job.kind != "simulation":
        raise NotFound("no such simulation (results are kept for a while only)", code="no_job")
    return job


def _region_name(code: Any) -> str:
    found = regions().find(str(code)) if code else None
    return found.display_name if found is not None else str(code or "-")


def _result_context(job: Job, page: int) -> dict[str, Any]:
    params = job.params
    query = "&".join(
        f"key_{i}={k}&value_{i}={v}" for i, (k, v) in enumerate(params["overrides"].items(), 1)
    )
    context: dict[str, Any] = {
        "job": job,
        "params": params,
        "again": f"/simulasi?{query}&level={params['level']}",
        "page": max(1, page),
        "size": REGION_PAGE,
    }
    if job.state == "done":
        result = job.result
        regions_changed = result["regions_changed"]
        start = (context["page"] - 1) * REGION_PAGE
        shown = regions_changed[start : start + REGION_PAGE]
        context.update(
            result=result,
            total_regions=len(regions_changed),
            regions=[{**r, "name": _region_name(r["region"])} for r in shown],
            changed=[
                p
                for p in result["programs"]
                if p["beneficiaries"]["current"] != p["beneficiaries"]["simulated"]
                or p["cost_year"]["current"] != p["cost_year"]["simulated"]
                or p["entered"]
                or p["left"]
            ],
        )
    return context


@router.get("/simulasi/{job_id}")
def simulation_result(job_id: str, request: Request, user: PageUser, page: int = 1) -> Response:
    """The result of a simulation, or 'still running' (polled by htmx, or reloaded by hand)."""
    require_page_role(user, *ROLES)
    job = _job(request, job_id, user.username)
    return render(request, "simulation/result.html", _result_context(job, page))


@router.get("/simulasi/{job_id}/hasil")
def simulation_fragment(job_id: str, request: Request, user: PageUser, page: int = 1) -> Response:
    """The result section alone, for htmx."""
    require_page_role(user, *ROLES)
    job = _job(request, job_id, user.username)
    return render(request, "simulation/_result.html", _result_context(job, page))
