"""The release, simulation and linkage review pages over HTTP (TestClient) on the demo data.

A copy of the demo data gets a second release (``analyst_site.second_release``), so a release
has a previous one to compare with; the shared demo data is not changed.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .analyst_site import second_release
from .conftest import DemoSite, demo_client

OTHER_REGENCY = "11.01"  # Kabupaten Simeulue: same province, another regency
OTHER_PASSWORD = "another-long-password"


@pytest.fixture(scope="module")
def two(demo_data: DemoSite, tmp_path_factory: pytest.TempPathFactory) -> DemoSite:
    """The demo data with a second release, and a district office of another regency."""
    from sqlalchemy.orm import sessionmaker

    from tepat.access.service import create_user
    from tepat.db.engine import make_engine

    site = second_release(demo_data, tmp_path_factory.mktemp("analyst"))
    engine = make_engine(site.database_url)
    with sessionmaker(engine)() as session:
        create_user(
            db=session,
            username="dinsos-simeulue",
            password=OTHER_PASSWORD,
            role="district_office",
            regions=[OTHER_REGENCY],
        )
        session.commit()
    engine.dispose()
    site.passwords = {**site.passwords, "dinsos-simeulue": OTHER_PASSWORD}
    return site


@pytest.fixture(scope="module")
def client(two: DemoSite) -> Iterator[Any]:
    with demo_client(two) as c:
        yield c


def sign_in(client: Any, site: DemoSite, username: str) -> None:
    client.cookies.clear()
    r = client.post(
        "/masuk",
        data={"username": username, "password": site.passwords[username], "next": "/beranda"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def releases(site: DemoSite) -> tuple[str, str]:
    """(previous, current) release ids."""
    from tepat.release.publish import list_releases

    found = list_releases(site.data_dir)
    current = next(r["release_id"] for r in found if r["current"])
    previous = next(r["release_id"] for r in found if not r["current"])
    return previous, current


def ready_detail(client: Any, url: str) -> str:
    """The release page once its changes are prepared (the job runs in the background)."""
    for _ in range(120):
        r = client.get(url)
        assert r.status_code == 200, r.text
        if 'id="perubahan" hx-get' not in r.text:
            return str(r.text)
        time.sleep(0.25)
    raise AssertionError("the changes were never prepared")


def audit_actions(site: DemoSite, action: str) -> list[Any]:
    import sqlalchemy as sa

    engine = sa.create_engine(site.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT actor, region_code, detail FROM audit_log WHERE action = :a ORDER BY id"
            ),
            {"a": action},
        ).all()
    engine.dispose()
    return list(rows)


# Releases --------------------------------------------------------------------------------------


def test_release_list_shows_both_releases_and_the_current_one(client: Any, two: DemoSite) -> None:
    previous, current = releases(two)
    sign_in(client, two, "demo-program")
    r = client.get("/rilis")
    assert r.status_code == 200
    assert previous in r.text and current in r.text
    row = re.search(rf'<tr class="current">.*?{current}', r.text, re.S)
    assert row, "the current release is marked"
    assert "pmt-tepat-" in r.text  # model version
    assert "Server-Timing".lower() in {k.lower() for k in r.headers}


def test_release_list_refuses_roles_without_it(client: Any, two: DemoSite) -> None:
    sign_in(client, two, "demo-operator")
    assert client.get("/rilis").status_code == 403
    client.cookies.clear()
    r = client.get("/rilis", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk")


def test_release_detail_summary_targeting_and_changes(client: Any, two: DemoSite) -> None:
    previous, current = releases(two)
    sign_in(client, two, "demo-program")
    html = ready_detail(client, f"/rilis/{current}")
    assert "Sebaran desil" in html and "Biaya per tahun" in html
    assert "Alatas" in html  # the anchor beside the model's errors
    assert previous in html  # compared with the previous release
    assert 'id="changes-summary"' in html and 'id="changes"' in html
    assert "desil turun" in html or "desil naik" in html  # reasons in words
    # The first release has nothing to compare with.
    first = client.get(f"/rilis/{previous}")
    assert "Tidak ada rilis sebelumnya" in first.text
    assert client.get("/rilis/R20990101-0000000000").status_code == 404
    assert client.get("/rilis/../../etc").status_code == 404


def test_changes_filtered_by_program_and_region(client: Any, two: DemoSite) -> None:
    _previous, current = releases(two)
    sign_in(client, two, "demo-program")
    ready_detail(client, f"/rilis/{current}")
    html = client.get(f"/rilis/{current}?program=pkh").text
    programs = set(re.findall(r'<tr data-program="([^"]+)"', html))
    assert programs == {"pkh"}
    assert 'value="pkh" selected' in html
    desil = client.get(f"/rilis/{current}?program=desil").text
    assert set(re.findall(r'<tr data-program="([^"]+)"', desil)) == {"desil"}
    district = client.get(f"/rilis/{current}?wilayah=11.12.01").text
    villages = set(re.findall(r'data-village="([^"]+)"', district))
    assert villages and all(v.startswith("11.12.01.") for v in villages)
    page2 = client.get(f"/rilis/{current}?program=desil&page=2")
    assert page2.status_code == 200
    # Program managers see masked KK numbers only.
    kks = re.findall(r"KK (\d[\d*]{15})", html)
    assert kks and all("*" in k for k in kks)
    # The fragment htmx polls.
    part = client.get(f"/rilis/{current}/perubahan?program=pkh")
    assert part.status_code == 200 and 'id="perubahan"' in part.text
    assert "<html" not in part.text


def test_district_office_of_another_regency_sees_no_family_and_cannot_download(
    client: Any, two: DemoSite
) -> None:
    _previous, current = releases(two)
    sign_in(client, two, "dinsos-simeulue")
    html = ready_detail(client, f"/rilis/{current}")
    assert 'id="changes"' not in html  # no family of 11.12
    assert "dtks:" not in html and "regsosek:" not in html
    assert 'id="downloads"' not in html
    r = client.get(f"/rilis/{current}/unduh/pkh/11.12.csv")
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]
    assert client.get(f"/rilis/{current}/unduh/pkh/11.12.parquet").status_code == 403
    assert client.get(f"/rilis/{current}?wilayah=11.12.01").status_code == 403
    assert not [a for a in audit_actions(two, "release.list.download") if a[0] == "dinsos-simeulue"]


def test_district_office_downloads_its_lists_and_each_is_audited(
    client: Any, two: DemoSite
) -> None:
    _previous, current = releases(two)
    sign_in(client, two, "demo-dinsos")
    html = ready_detail(client, f"/rilis/{current}")
    assert f"/rilis/{current}/unduh/pkh/11.12.csv" in html
    before = len(audit_actions(two, "release.list.download"))
    r = client.get(f"/rilis/{current}/unduh/pkh/11.12.csv")
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    original = (two.data_dir / "releases" / current / "lists" / "pkh" / "11.12.csv").read_bytes()
    assert r.content == original  # a district office sees full identity numbers
    p = client.get(f"/rilis/{current}/unduh/pkh/11.12.parquet")
    assert p.status_code == 200 and p.content[:4] == b"PAR1"
    entries = audit_actions(two, "release.list.download")
    assert len(entries) == before + 2
    assert entries[-1][0] == "demo-dinsos" and entries[-1][1] == "11.12"
    assert client.get(f"/rilis/{current}/unduh/pkh/11.12.exe").status_code == 404
    assert client.get(f"/rilis/{current}/unduh/nope/11.12.csv").status_code == 404
    # Families of the district office's regency are listed in the changes.
    assert 'id="changes"' in html


def test_program_manager_download_masks_identity_numbers(client: Any, two: DemoSite) -> None:
    _previous, current = releases(two)
    sign_in(client, two, "demo-program")
    r = client.get(f"/rilis/{current}/unduh/pkh/11.12.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows
    values = [row[c] for row in rows for c in ("nik", "kk") if row[c]]
    assert values and all("*" in v for v in values)
    assert not re.search(r"\b\d{16}\b", r.text)
    import pyarrow.parquet as pq

    p = client.get(f"/rilis/{current}/unduh/pkh/11.12.parquet")
    table = pq.read_table(io.BytesIO(p.content))
    assert all("*" in v for v in table.column("nik").to_pylist() if v)


# Simulation ------------------------------------------------------------------------------------


def test_simulation_form_field_errors_keep_what_was_typed(client: Any, two: DemoSite) -> None:
    sign_in(client, two, "demo-program")
    form = client.get("/simulasi")
    assert form.status_code == 200
    data = {
        "csrf": csrf_of(form.text),
        "key_1": "xyz.max_desil",
        "value_1": "3",
        "key_2": "pkh.max_desil",
        "value_2": "11",
        "key_3": "bpnt.monthly_amount",
        "value_3": "-5",
    }
    r = client.post("/simulasi", data=data)
    assert r.status_code == 422
    assert "Program &#39;xyz&#39; tidak dikenal" in r.text
    assert "Desil harus antara 1 dan 10." in r.text
    assert "Nilai tidak boleh negatif." in r.text
    for value in ("xyz.max_desil", "pkh.max_desil", "bpnt.monthly_amount", "11", "-5"):
        assert f'value="{value}"' in r.text
    assert r.text.count('aria-invalid="true"') == 3
    more = client.post(
        "/simulasi",
        data={"csrf": data["csrf"], "key_1": "pkh.nope", "value_1": "abc", "key_2": "pkh"},
    )
    assert more.status_code == 422
    assert "tidak punya parameter &#39;nope&#39;" in more.text
    assert "Isi bilangan bulat" in more.text
    assert "Isi nilai baru." in more.text
    empty = client.post("/simulasi", data={"csrf": data["csrf"]})
    assert empty.status_code == 422 and "paling sedikit satu perubahan" in empty.text
    assert client.post("/simulasi", data={"key_1": "pkh.max_desil"}).status_code == 403


def test_simulation_roles(client: Any, two: DemoSite) -> None:
    sign_in(client, two, "demo-dinsos")
    assert client.get("/simulasi").status_code == 403
    sign_in(client, two, "demo-admin")
    assert client.get("/simulasi").status_code == 200


def test_simulation_job_completes_with_numbers_that_differ(client: Any, two: DemoSite) -> None:
    sign_in(client, two, "demo-program")
    form = client.get("/simulasi")
    r = client.post(
        "/simulasi",
        data={"csrf": csrf_of(form.text), "key_1": "pkh.max_desil", "value_1": "2"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    assert re.fullmatch(r"/simulasi/[A-Za-z0-9_-]+", url)
    html = ""
    for _ in range(240):
        page = client.get(url)
        assert page.status_code == 200
        html = page.text
        if "sim-running" not in html:
            break
        assert 'hx-trigger="every 2s"' in html and f'href="{url}"' in html
        time.sleep(0.25)
    assert 'id="sim-done"' in html
    row = re.search(r'<tr data-program="pkh".*?</tr>', html, re.S)
    assert row
    numbers = re.findall(
        r"([\d.]+) &rarr; <span class=\"sim-beneficiaries\">([\d.]+)<", row.group(0)
    )
    assert numbers
    now, simulated = (int(n.replace(".", "")) for n in numbers[0])
    assert simulated < now
    assert 'id="sim-regions"' in html and "Kecamatan" in html
    assert "Galat inklusi" in html
    # Someone else cannot read the result.
    sign_in(client, two, "demo-admin")
    assert client.get(url).status_code == 404
    assert audit_actions(two, "eligibility.simulation.run")


# Linkage review --------------------------------------------------------------------------------


def _pending_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<a href="/tautan/(\d+)" class="button">', html)]


def ready_list(client: Any) -> str:
    for _ in range(120):
        r = client.get("/tautan")
        assert r.status_code == 200
        if "hx-trigger" not in r.text.split('id="isi"')[1]:
            return str(r.text)
        time.sleep(0.25)
    raise AssertionError("the review records were never prepared")


def test_linkage_list_pair_accept_and_undo(client: Any, two: DemoSite) -> None:
    sign_in(client, two, "demo-dinsos")
    html = ready_list(client)
    ids = _pending_ids(html)
    assert ids, "the demo data has pending pairs"
    count = int(re.search(r'id="pending-count">(\d+)', html).group(1))  # type: ignore[union-attr]
    first = ids[0]
    pair = client.get(f"/tautan/{first}")
    assert pair.status_code == 200
    assert 'class="diff"' in pair.text  # differing fields highlighted
    assert 'id="accept"' in pair.text and 'id="reject"' in pair.text
    token = csrf_of(pair.text)
    version = re.search(r'name="version" value="(\d+)"', pair.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        f"/tautan/{first}/terima",
        data={"csrf": token, "version": version, "reason": "nama dan tanggal lahir cocok"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "orang yang sama" in shown.text and 'id="undo"' in shown.text
    assert "demo-dinsos" in shown.text
    after = ready_list(client)
    assert first not in _pending_ids(after)
    assert f'<a href="/tautan/{first}">' in after  # among the recent decisions
    # Deciding again is a conflict, shown on the page (not an error page).
    again = client.post(f"/tautan/{first}/tolak", data={"csrf": token})
    assert again.status_code == 409 and "sudah diputuskan" in again.text
    undone = client.post(f"/tautan/{first}/batal", data={"csrf": token}, follow_redirects=False)
    assert undone.status_code == 303
    back = client.get(f"/tautan/{first}")
    assert "menunggu" in back.text and 'id="accept"' in back.text
    assert "keputusan dibatalkan" in back.text
    final = ready_list(client)
    assert int(re.search(r'id="pending-count">(\d+)', final).group(1)) == count  # type: ignore[union-attr]
    actions = [a[0] for a in audit_actions(two, "linkage.review.accept")]
    assert "demo-dinsos" in actions and audit_actions(two, "linkage.review.undo")
    # No form token: refused.
    assert client.post(f"/tautan/{first}/terima", data={}).status_code == 403


def test_linkage_other_regency_and_roles(client: Any, two: DemoSite) -> None:
    sign_in(client, two, "dinsos-simeulue")
    html = ready_list(client)
    assert not _pending_ids(html)
    assert client.get("/tautan/1").status_code == 404
    token = csrf_of(html)
    assert client.post("/tautan/1/terima", data={"csrf": token}).status_code == 404
    sign_in(client, two, "demo-program")
    assert client.get("/tautan").status_code == 403
    sign_in(client, two, "demo-admin")
    assert _pending_ids(ready_list(client))
    assert client.get("/tautan/999999999").status_code == 404
    assert client.get("/tautan/abc").status_code == 404


def test_linkage_queue_pairs_shows_new_pairs(client: Any, two: DemoSite) -> None:
    """Pairs queued after the records were prepared appear once they are prepared again."""
    from sqlalchemy.orm import sessionmaker

    from tepat.db.engine import make_engine
    from tepat.linkage.review import queue_pairs

    engine = make_engine(two.database_url)
    staged = sorted((two.data_dir / "staging" / "dtks").glob("*.parquet"))[0]
    import pyarrow.parquet as pq

    ids = pq.read_table(staged, columns=["record_id"]).column("record_id").to_pylist()[:4]
    with sessionmaker(engine)() as session:
        added = queue_pairs(
            session,
            [(f"dtks:{ids[0]}", f"dtks:{ids[1]}", 0.5), (f"dtks:{ids[2]}", f"dtks:{ids[3]}", 0.49)],
            run_id="test",
        )
        session.commit()
    engine.dispose()
    assert added == 2
    sign_in(client, two, "demo-dinsos")
    html = ready_list(client)
    assert f"dtks:{ids[0]}" in html


def test_pages_render_fast_enough(client: Any, two: DemoSite) -> None:
    """Server time on the demo data (the 1 M-people figures are in bench/)."""
    _previous, current = releases(two)
    sign_in(client, two, "demo-dinsos")
    ready_detail(client, f"/rilis/{current}")
    ready_list(client)
    for url in ("/rilis", f"/rilis/{current}", f"/rilis/{current}?program=pkh", "/tautan"):
        client.get(url)
        r = client.get(url)
        ms = float(r.headers["server-timing"].partition("dur=")[2])
        assert ms < 1000, f"{url}: {ms} ms"


def test_english(client: Any, two: DemoSite) -> None:
    sign_in(client, two, "demo-program")
    client.cookies.set("tepat_bahasa", "en")
    r = client.get("/simulasi")
    assert "Program rules simulation" in r.text
    client.cookies.delete("tepat_bahasa")
