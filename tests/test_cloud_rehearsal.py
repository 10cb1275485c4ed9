"""A rehearsal of the deployed system on moto S3, with the three Chalice apps' dev stages (bucket reelrec-dev-data):

raw files uploaded one by one to raw/ -> for each, the ETL function gets the EventBridge "Object Created" event the
stack's rule would deliver (the rule's pattern from infra/etl-events.json must match it) -> the training function gets
its daily scheduled event -> the API answers from the lake and the promoted model in the bucket.

What it proves: files arriving in any order, one event each, end in the same answers as one local ETL run over the
same files (a ratings file that lands before its catalog is picked up again when the catalog arrives); new titles and
new ratings uploaded later show in the API after their events and the next retrain (a new user gets
recommendations); uploading the same file again changes no lake object and no answer.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import boto3
import pytest
from chalice.test import Client
from moto.events.models import EventPattern

from datagen import generate
from etl_job.pipeline import run_etl
from etl_job.progress import Progress
from reelrec.histories import create_table
from reelrec.lease import acquire
from reelrec.storage import open_store
from tests.api_reference import Reference, api_client, get, record
from tests.test_etl_lambda import load_app, object_created

ROOT = Path(__file__).resolve().parents[1]
ETL_DIR = ROOT / "etl_job" / "lambda_app"
USERS = "dynamodb://reelrec-dev-histories"  # the dev stage's history table (REELREC_USERS), created in moto
TRAINING_DIR = ROOT / "model_training" / "lambda_app"
BUCKET = "reelrec-dev-data"  # what the dev stages of all three apps point at
NEW_USER = 900_001
NEW_TITLE = "ns9999"


@pytest.fixture(scope="module")
def apps():
    return load_app("reelrec_etl_app_rehearsal", ETL_DIR), load_app("reelrec_training_app_rehearsal", TRAINING_DIR)


def rule_pattern() -> EventPattern:
    """The ETL trigger's event pattern as the stack declares it, with the stage's bucket for ``Ref: DataBucket``."""
    events = json.loads((ROOT / "infra" / "etl-events.json").read_text())["Resources"]["Etl"]["Properties"]["Events"]
    pattern = json.dumps(events["RawFileCreated"]["Properties"]["Pattern"])
    text = pattern.replace('{"Ref": "DataBucket"}', f'"{BUCKET}"')
    return EventPattern.load(text)  # moto's implementation of EventBridge's matching


def lake_objects(aws) -> dict[str, tuple[str, object]]:
    """Every lake object's ETag (its MD5: same bytes) and, apart from the run's state, its last-modified time.
    The run's lease objects (``lake/_lease/``) are bookkeeping every run writes, not lake data."""
    pages = aws.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="lake/")
    return {o["Key"]: (o["ETag"], None if o["Key"] == "lake/_state.json" else o["LastModified"])
            for page in pages for o in page.get("Contents", []) if not o["Key"].startswith("lake/_lease/")}


def answers(client: Client, reference: Reference, ids: list[str]) -> dict:
    """The API's answers that depend on the catalog and the scores, next to the reference's."""
    got, want = {}, {}
    for platform in ("amazon", "disney", "hulu", "netflix"):
        got[platform] = get(client, "/get_count_platform", platform=platform)
        want[platform] = (200, reference.count_platform(platform))
    for tid in ids:
        got[tid] = record(get(client, f"/titles/{tid}"))
        want[tid] = (200, reference.title(tid))
    return {"got": got, "want": want}


def add_title(path: Path, show_id: str, title: str) -> None:
    """Append a netflix movie to a raw catalog file, in the file's own column order."""
    text = path.read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    row = {"show_id": show_id, "type": "Movie", "title": title, "director": "Rita Rehearsal", "cast": "Ann Actor",
           "country": "Spain", "date_added": "March 1, 2021", "release_year": "2021", "rating": "PG",
           "duration": "101 min", "listed_in": "Dramas", "description": "A premiere after deployment."}
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([row.get(c.strip().lower(), "") for c in header])
    path.write_text(text.rstrip("\r\n") + "\n" + out.getvalue(), encoding="utf-8")


def test_upload_etl_retrain_api_then_new_data_then_the_same_file_again(aws, apps, tmp_path, monkeypatch):
    etl_app, training_app = apps
    aws.create_bucket(Bucket=BUCKET)
    create_table(boto3.client("dynamodb"), "reelrec-dev-histories")  # the stack's history table
    monkeypatch.setattr("model_training.job.DEFAULT_MAX_EVAL_USERS", 50)
    raw = tmp_path / "raw"
    generate(str(raw), "tiny", seed=7)
    reference_lake = open_store(tmp_path / "reference-lake")  # one local ETL run over the same files
    pattern = rule_pattern()
    etl = Client(etl_app.app, stage_name="dev", project_dir=str(ETL_DIR))
    training = Client(training_app.app, stage_name="dev", project_dir=str(TRAINING_DIR))

    def upload(key: str) -> dict:
        """`aws s3 cp` of one raw file, then the ETL invocation its EventBridge event causes."""
        aws.upload_file(str(raw / key), BUCKET, f"raw/{key}")
        head = aws.head_object(Bucket=BUCKET, Key=f"raw/{key}")
        event = object_created(etl, BUCKET, f"raw/{key}", head["ContentLength"], head["ETag"].strip('"'))
        assert pattern.matches_event(event), event
        return etl.lambda_.invoke("etl", event).payload

    def retrain() -> dict:
        event = training.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, region="us-east-1",
            resources=["arn:aws:events:us-east-1:123456789012:rule/reelrec-dev-RetrainRetrainEvent"])
        return training.lambda_.invoke("retrain", event).payload

    # 1. first load: a ratings file lands before the catalogs, the other after them; one event per file
    order = ["ratings/1.csv", "titles/netflix_titles.csv", "titles/amazon_prime_titles.csv",
             "titles/disney_plus_titles.csv", "titles/hulu_titles.csv", "ratings/2.csv"]
    assert sorted(order) == sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*.csv"))
    runs = [upload(key) for key in order]
    assert all(r["status"] in ("ok", "failed") and r["trigger"].startswith(f"s3://{BUCKET}/raw/") for r in runs), runs
    # alone, the ratings wait for a catalog; with one catalog most of their titles are unknown and the file fails;
    # with the other catalogs it loads, and is loaded again as each catalog adds titles
    assert runs[0]["problems"] == [{"key": "ratings/1.csv", "status": "deferred", "error": None}], runs[0]
    assert runs[-1]["status"] == "ok" and not runs[-1]["problems"], runs[-1]
    run_etl(open_store(raw), reference_lake, progress=Progress(io.StringIO()))
    first_model = retrain()
    assert first_model["status"] == "ok" and first_model["promoted"], first_model

    reference = Reference(reference_lake.root)
    ids = [t["id"] for t in reference.titles[:: max(1, len(reference.titles) // 25)]]
    rated = [tid for tid in ids if reference.scores.get(tid)]
    assert rated, "the sample should hold rated titles"
    user = int(next(csv.reader(io.StringIO((raw / "ratings" / "2.csv").read_text().splitlines()[1])))[0])
    with api_client(monkeypatch, f"s3://{BUCKET}/lake", models=f"s3://{BUCKET}/models", users=USERS) as api:
        first = answers(api, reference, ids)
        assert first["got"] == first["want"]
        status, recs = get(api, f"/users/{user}/recommendations", k=5)
        assert status == 200 and recs["model_version"] == first_model["version"] and len(recs["items"]) == 5, recs
        assert get(api, f"/titles/{NEW_TITLE}")[0] == 404
        assert get(api, f"/users/{NEW_USER}/recommendations")[0] == 404

    # 2. new data: a new user's ratings (one of them of a title not in the catalog yet), then the catalog with it
    unrated = next(t["id"] for t in reference.titles if t["id"] not in reference.scores)
    (raw / "ratings" / "3.csv").write_text(
        "userId,rating,timestamp,movieId\n"
        f"{NEW_USER},5.0,1700000000,{NEW_TITLE}\n{NEW_USER},4.0,1700000100,{unrated}\n"
        + "".join(f"{NEW_USER},4.5,{1700000200 + i},{tid}\n" for i, tid in enumerate(rated[:3])))
    early = upload("ratings/3.csv")  # the new title's rating is quarantined for now (unknown title id)
    assert early["status"] == "ok" and early["totals"]["processed"] == 1, early
    assert early["histories"] == {**early["histories"], "mode": "incremental", "viewers": 1}, early
    with api_client(monkeypatch, f"s3://{BUCKET}/lake", models=f"s3://{BUCKET}/models", users=USERS) as api:
        status, recs = get(api, f"/users/{NEW_USER}/recommendations", k=5)  # known before any retraining
        assert status == 200 and recs["model_version"] == first_model["version"], recs
        assert recs["based_on"]["ratings"] == 4 and recs["based_on"]["skipped"] == 0, recs["based_on"]
    add_title(raw / "titles" / "netflix_titles.csv", "s9999", "The Rehearsal Premiere")
    late = upload("titles/netflix_titles.csv")  # the catalog changed: ratings/3.csv is checked again
    assert late["status"] == "ok" and late["totals"]["processed"] >= 2, late
    run_etl(open_store(raw), reference_lake, progress=Progress(io.StringIO()))
    second_model = retrain()
    assert second_model["status"] == "ok", second_model
    if not second_model["promoted"]:  # the gate may refuse a model on new data; the operator's override then
        second_model = training.lambda_.invoke("train", {"force": True}).payload
        assert second_model["promoted"], second_model

    reference = Reference(reference_lake.root)
    ids += [NEW_TITLE, unrated, *rated[:3]]
    assert reference.title(NEW_TITLE)["score"] == 5.0 and reference.title(NEW_TITLE)["score_count"] == 1
    assert reference.title(unrated)["score"] == 4.0
    with api_client(monkeypatch, f"s3://{BUCKET}/lake", models=f"s3://{BUCKET}/models", users=USERS) as api:
        second = answers(api, reference, ids)
        assert second["got"] == second["want"]
        assert second["got"]["netflix"][1]["count"] == first["got"]["netflix"][1]["count"] + 1
        assert second["got"][NEW_TITLE][1]["title"] == "The Rehearsal Premiere"
        status, recs = get(api, f"/users/{NEW_USER}/recommendations", k=5)  # the new user is known now
        assert status == 200 and recs["model_version"] == second_model["version"] and recs["items"], recs
        assert not {i["id"] for i in recs["items"]} & {NEW_TITLE, unrated, *rated[:3]}  # never a title they rated
        health = get(api, "/health")[1]

    # 3. the same file uploaded again (same key, same bytes): nothing changes in the lake or the answers
    before = lake_objects(aws)
    again = upload("ratings/3.csv")
    assert again["status"] == "ok" and again["totals"]["processed"] == 0, again
    assert again["totals"]["unchanged"] == again["totals"]["inputs"] == 7, again
    after = lake_objects(aws)
    (manifest,) = set(after) - set(before)  # the run's own manifest, and nothing else is new
    assert manifest == f"lake/_manifests/{again['run_id']}.json"
    # same bytes everywhere; no data object, snapshot or pointer is even rewritten (each run rewrites _state.json
    # with the same content)
    assert {k: v for k, v in after.items() if k != manifest} == before
    with api_client(monkeypatch, f"s3://{BUCKET}/lake", models=f"s3://{BUCKET}/models", users=USERS) as api:
        assert answers(api, reference, ids)["got"] == second["got"]
        assert get(api, "/health")[1] == health

    # 4. a CLI run holds the lake while a file lands: the event's run answers busy and writes nothing
    holder = acquire(open_store(f"s3://{BUCKET}/lake"), "etl run (operator's CLI)")
    busy = upload("ratings/3.csv")
    assert busy["status"] == "busy" and "operator's CLI" in busy["message"], busy
    assert lake_objects(aws) == after
    holder.release()

    # 5. a truncated upload of a published file is refused and the published data kept; on purpose, it is taken
    lines = (raw / "ratings" / "1.csv").read_text().splitlines(keepends=True)
    (raw / "ratings" / "1.csv").write_text("".join(lines[: len(lines) // 4]))
    cut = upload("ratings/1.csv")
    (problem,) = cut["problems"]
    assert cut["status"] == "failed" and problem["key"] == "ratings/1.csv", cut
    assert "likely truncated" in problem["error"] and "--allow-shrink" in problem["error"], problem
    with api_client(monkeypatch, f"s3://{BUCKET}/lake", models=f"s3://{BUCKET}/models", users=USERS) as api:
        assert answers(api, reference, ids)["got"] == second["got"]
    taken = etl.lambda_.invoke("etl", {"allow_shrink": True}).payload
    assert taken["status"] == "ok" and taken["totals"]["processed"] >= 1, taken
