"""The infrastructure as code, offline: cfn-lint validates the base template and the stack template that
``infra/deploy.py --dry-run`` assembles from the three apps' ``chalice package`` output (SAM transform included);
the bucket is private, encrypted, versioned, with lifecycle rules and EventBridge notifications; the ETL's rule, the
training schedule and the API are there; every function has its own role, and no role reaches beyond its prefixes;
every function logs in Lambda's JSON format and the alarms of infra/template.yaml (tests/test_alarms.py) name the
functions and the REST API the stack deploys."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cfnlint.api import lint_file

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "infra" / "deploy.py"
BASE = ROOT / "infra" / "template.yaml"
NETWORK_EXIT = 3


def load_deploy():
    spec = importlib.util.spec_from_file_location("reelrec_infra_deploy", DEPLOY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request, tmp_path_factory) -> dict:
    """``deploy.py --dry-run`` for a stage: the packages (chalice's zip caches reused), the template, its output."""
    stage = request.param
    out = tmp_path_factory.mktemp(f"deploy-{stage}")
    proc = subprocess.run([sys.executable, str(DEPLOY), "--stage", stage, "--dry-run", "--build-dir", str(out),
                           "--artifacts-bucket", "my-artifacts"], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800, check=False)
    if proc.returncode == NETWORK_EXIT:
        pytest.skip(f"chalice package cannot download the Lambda wheels (no network): {proc.stderr.splitlines()[-1]}")
    assert proc.returncode == 0, f"deploy --dry-run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    path = out / stage / "template.json"
    return {"stage": stage, "path": path, "template": json.loads(path.read_text()), "stdout": proc.stdout}


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def grants(role: dict) -> set[tuple[str, str]]:
    """(action, resource) pairs a role allows."""
    out = set()
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            res = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            out |= {(a, r["Fn::Sub"] if isinstance(r, dict) else r) for a in actions for r in res}
    return out


def test_base_template_passes_cfn_lint_and_locks_the_bucket_down():
    assert lint_file(BASE) == []
    template = yaml.safe_load(BASE.read_text())
    bucket = template["Resources"]["DataBucket"]
    # data survives a stack deletion; an empty bucket left by a failed first create would block every retry
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate" and bucket["UpdateReplacePolicy"] == "Retain"
    props = bucket["Properties"]
    assert props["BucketName"] == {"Fn::Sub": "reelrec-${Stage}-data"}
    (sse,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True} and len(
        props["PublicAccessBlockConfiguration"]) == 4
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    rules = {r["Prefix"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert all(r["Status"] == "Enabled" for r in rules.values())
    assert rules[""] == {"Id": "abort-incomplete-uploads", "Status": "Enabled", "Prefix": "",
                         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
    assert rules["lake/quarantine/"]["ExpirationInDays"] == 90
    # old model versions: the job prunes them; the lifecycle removes pruned (noncurrent) copies, never the current
    # objects, since the served version can be older than any fixed age
    assert rules["models/"]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert not any("ExpirationInDays" in r for p, r in rules.items() if p.startswith("models"))
    for prefix in ("raw/", "lake/"):
        assert rules[prefix]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    (deny,) = template["Resources"]["DataBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_stack_template_passes_cfn_lint(stack):
    assert lint_file(stack["path"]) == [], "cfn-lint found problems in the assembled stack template"
    assert stack["template"]["Parameters"]["Stage"]["AllowedValues"] == [stack["stage"]]  # pinned to its policies


def test_every_function_has_its_own_role_and_a_log_retention(stack):
    template = stack["template"]
    functions = resources(template, "AWS::Serverless::Function")
    assert set(functions) == {"APIHandler", "Train", "Retrain", "Etl"}
    roles = {name: fn["Properties"]["Role"]["Fn::GetAtt"][0] for name, fn in functions.items()}
    assert len(set(roles.values())) == len(roles)  # one role per function, none shared
    assert set(roles.values()) == set(resources(template, "AWS::IAM::Role"))  # and no other roles
    logs = resources(template, "AWS::Logs::LogGroup")
    names = {"APIHandler": "api", "Train": "train", "Retrain": "retrain", "Etl": "etl"}
    for name, fn in functions.items():  # named up front, so each role can name its own log group
        assert fn["Properties"]["FunctionName"] == f"reelrec-{stack['stage']}-{names[name]}"
        group = logs[f"{name}LogGroup"]["Properties"]
        assert group["LogGroupName"] == f"/aws/lambda/{fn['Properties']['FunctionName']}"
        assert group["RetentionInDays"] == 30 and f"{name}LogGroup" in fn["DependsOn"]  # before the function
    assert len(logs) == len(functions)
    for name, fn in functions.items():
        code = stack["path"].parent / fn["Properties"]["CodeUri"]
        assert code.is_file() and code.name == "deployment.zip", (name, code)
    assert functions["Etl"]["Properties"]["ReservedConcurrentExecutions"] == 1  # one run at a time (and a lease)


def test_the_public_api_is_throttled_and_its_concurrency_bounded_per_stage(stack):
    template, stage = stack["template"], stack["stage"]
    (api,) = resources(template, "AWS::Serverless::Api").values()
    rate, burst = {"dev": (5, 10), "prod": (100, 200)}[stage]  # docs/deploy.md's cost bound uses these numbers
    assert api["Properties"]["MethodSettings"] == [{"ResourcePath": "/*", "HttpMethod": "*",
                                                    "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}]
    handler = resources(template, "AWS::Serverless::Function")["APIHandler"]["Properties"]
    assert handler["ReservedConcurrentExecutions"] == {"dev": 5, "prod": 50}[stage]


def test_the_etl_rule_the_schedule_and_the_api_are_wired(stack):
    template = stack["template"]
    fns = resources(template, "AWS::Serverless::Function")
    (trigger,) = fns["Etl"]["Properties"]["Events"].values()
    assert trigger["Type"] == "EventBridgeRule"
    assert trigger["Properties"]["Pattern"] == {
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [{"Ref": "DataBucket"}]},
                   "object": {"key": [{"prefix": "raw/titles/"}, {"prefix": "raw/ratings/"}]}}}
    (schedule,) = fns["Retrain"]["Properties"]["Events"].values()
    assert schedule == {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}
    assert "Events" not in fns["Train"]["Properties"]  # on demand only
    assert fns["APIHandler"]["Properties"]["Handler"] == "app.app"
    assert "RestAPI" in resources(template, "AWS::Serverless::Api")
    assert "EndpointURL" in template["Outputs"] and "DataBucketName" in template["Outputs"]
    for fn in fns.values():  # every function reads and writes the bucket this stack creates
        env = fn["Properties"]["Environment"]["Variables"]
        assert {v for k, v in env.items() if k.startswith("REELREC_") and v.startswith("s3://")} <= {
            f"s3://reelrec-{stack['stage']}-data/{area}" for area in ("raw", "lake", "models")}


def test_roles_grant_only_the_actions_and_prefixes_each_function_needs(stack):
    template, stage = stack["template"], stack["stage"]
    bucket = f"arn:aws:s3:::reelrec-{stage}-data"
    table = f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/reelrec-{stage}-histories"
    fns = resources(template, "AWS::Serverless::Function")
    roles = {name: template["Resources"][fn["Properties"]["Role"]["Fn::GetAtt"][0]] for name, fn in fns.items()}
    for name, role in roles.items():
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Service": "lambda.amazonaws.com"}
        for action, resource in grants(role):
            assert "*" not in action.split(":")[1], (name, action)
            if action.startswith("s3:"):
                assert resource == bucket or resource.startswith(bucket + "/"), (name, resource)
            elif action.startswith("dynamodb:"):
                assert resource == table, (name, resource)
            else:  # logs: this function's own log group only, not arn:aws:logs:*:*:*
                assert action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"), (name, action)
                group = ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                         f"/aws/lambda/{fns[name]['Properties']['FunctionName']}")
                assert resource in (group, group + ":*"), (name, resource)

    def objects(name: str, action: str) -> set[str]:
        return {r.removeprefix(bucket + "/") for a, r in grants(roles[name]) if a == action}

    def writes(name: str) -> set[str]:
        return objects(name, "s3:PutObject") | objects(name, "s3:DeleteObject")

    # API: reads the catalog snapshot and the served model, writes nothing
    assert objects("APIHandler", "s3:GetObject") == {"lake/serving/catalog/*", "models/current.json",
                                                     "models/versions/*/model.npz"}
    assert writes("APIHandler") == set()
    # training: the serving part of the lake and the models area; never raw/, writes only models/
    for name in ("Train", "Retrain"):
        assert not any("raw/" in r for _, r in grants(roles[name]))
        assert objects(name, "s3:GetObject") == {"lake/serving/catalog/*", "lake/serving/training/*", "models/*"}
        assert writes(name) == {"models/*", "models/versions/*"}
    # ETL: reads raw inputs, owns the lake; never models/
    assert not any("models" in r for _, r in grants(roles["Etl"]))
    assert objects("Etl", "s3:GetObject") == {"raw/titles/*", "raw/ratings/*", "lake/*"}
    assert writes("Etl") == {"lake/*"}
    # the history table: the API reads it, the ETL writes it, training never touches it
    def table_actions(name: str) -> set[str]:
        return {a for a, _ in grants(roles[name]) if a.startswith("dynamodb:")}

    assert table_actions("APIHandler") == {"dynamodb:GetItem", "dynamodb:BatchGetItem"}
    assert table_actions("Etl") == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                                    "dynamodb:BatchWriteItem"}
    assert not table_actions("Train") and not table_actions("Retrain")
    from reelrec.histories import ATTRIBUTES, KEY_SCHEMA

    table_props = template["Resources"]["HistoryTable"]["Properties"]
    assert table_props["BillingMode"] == "PAY_PER_REQUEST"
    assert (table_props["KeySchema"], table_props["AttributeDefinitions"]) == (KEY_SCHEMA, ATTRIBUTES)
    for name in ("APIHandler", "Etl"):
        env = fns[name]["Properties"]["Environment"]["Variables"]
        assert env["REELREC_USERS"] == f"dynamodb://reelrec-{stage}-histories", name


def test_functions_log_json_and_the_alarms_watch_what_the_stack_deploys(stack, tmp_path):
    """Lambda's JSON log format on every function; the stage and log level in every function's environment; the
    REST API named per stage (the alarms' ApiName) on stage ``api``; the base template's alarms, topic and dashboard
    in the stack, their Lambda dimensions naming its functions."""
    template, stage = stack["template"], stack["stage"]
    fns = resources(template, "AWS::Serverless::Function")
    for name, fn in fns.items():
        assert fn["Properties"]["LoggingConfig"] == {"LogFormat": "JSON"}, name
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["REELREC_STAGE"] == stage and env["LOG_LEVEL"] == "INFO", name
    # cfn-lint checks a SAM function's LoggingConfig keys only; the Lambda schema it becomes also checks the values
    plain = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Fn": {"Type": "AWS::Lambda::Function",
             "Properties": {"Runtime": "python3.11", "Handler": "app.etl", "Role": "arn:aws:iam::123456789012:role/r",
                            "Code": {"S3Bucket": "my-artifacts", "S3Key": "etl.zip"},
                            "LoggingConfig": fns["Etl"]["Properties"]["LoggingConfig"]}}}}
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    assert lint_file(tmp_path / "plain.json") == []
    plain["Resources"]["Fn"]["Properties"]["LoggingConfig"] = {"LogFormat": "Jsonl"}
    (tmp_path / "plain.json").write_text(json.dumps(plain))
    assert [m.rule.id for m in lint_file(tmp_path / "plain.json")] == ["E3030"]  # the check has teeth

    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["Name"] == api["DefinitionBody"]["info"]["title"] == f"reelrec-{stage}-api"
    assert api["StageName"] == "api"
    base = yaml.safe_load(BASE.read_text())
    for kind in ("AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::CloudWatch::Dashboard"):
        assert resources(template, kind) == resources(base, kind) and resources(base, kind), kind
    names = {fn["Properties"]["FunctionName"] for fn in fns.values()}
    watched = set()
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        for dim in alarm["Properties"].get("Dimensions", []):
            if dim["Name"] == "FunctionName":
                watched.add(dim["Value"]["Fn::Sub"].replace("${Stage}", stage))
            elif dim["Name"] == "ApiName":
                assert dim["Value"]["Fn::Sub"].replace("${Stage}", stage) == api["Name"]
    assert watched and watched <= names
    assert {"AlarmTopic", "DashboardName"} <= set(template["Outputs"])
    # the thresholds and the email stay parameters of the stack (only Stage is pinned)
    assert {"AlarmEmail", "EtlQuietDays", "QuarantineSharePercent", "RefusalsInARow"} <= set(template["Parameters"])


def test_stack_parameters_reach_the_deploy_command(tmp_path):
    deploy = load_deploy()
    params = deploy.stack_parameters(["AlarmEmail=oncall@example.com", "EtlQuietDays=3"])
    assert params == {"AlarmEmail": "oncall@example.com", "EtlQuietDays": "3"}
    assert deploy.stack_parameters(["AlarmEmail="]) == {"AlarmEmail": ""}  # unsubscribes
    for bad in ("Stage=prod", "Nope=1", "AlarmEmail"):
        with pytest.raises(ValueError, match="NAME=VALUE"):
            deploy.stack_parameters([bad])
    cmd = deploy.commands("prod", tmp_path / "template.json", "b", params)[1]
    i = cmd.index("--parameter-overrides")
    assert cmd[i + 1:i + 4] == ["Stage=prod", "AlarmEmail=oncall@example.com", "EtlQuietDays=3"]
    assert cmd[i + 4] == "--no-fail-on-empty-changeset"
    proc = subprocess.run([sys.executable, str(DEPLOY), "--stage", "dev", "--dry-run", "--parameter", "Stage=prod"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "--parameter 'Stage=prod'" in proc.stderr


def test_dry_run_prints_the_package_and_deploy_commands(stack):
    stage, out = stack["stage"], stack["stdout"]
    for app in ("api", "training", "etl"):
        assert f"{app}/deployment.zip: " in out and "MiB unzipped" in out
    lines = [ln for ln in out.splitlines() if ln.startswith("would run: aws cloudformation")]
    assert len(lines) == 3, out
    assert f"package --template-file {stack['path']} --s3-bucket my-artifacts" in lines[0]
    packaged = stack["path"].with_name("packaged.json")
    assert f"deploy --template-file {packaged} --stack-name reelrec-{stage}" in lines[1]
    assert "--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in lines[1] and f"Stage={stage}" in lines[1]


def test_assembly_refuses_colliding_ids_and_an_unknown_stage():
    deploy = load_deploy()
    sam = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"DataBucket": {"Type": "AWS::SNS::Topic"}}}
    with pytest.raises(deploy.AssemblyError, match="DataBucket"):
        deploy.assemble("dev", {"etl": sam})
    with pytest.raises(deploy.AssemblyError, match="unknown stage"):
        deploy.assemble("staging", {})


def test_a_real_deploy_needs_the_aws_cli_and_an_artifacts_bucket(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "REELREC_ARTIFACTS_BUCKET"}
    proc = subprocess.run([sys.executable, str(DEPLOY), "--stage", "dev"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2 and "--artifacts-bucket" in proc.stderr
    env["PATH"] = str(tmp_path)  # no `aws` here
    proc = subprocess.run([sys.executable, str(DEPLOY), "--stage", "dev", "--artifacts-bucket", "b",
                           "--build-dir", str(tmp_path / "b")], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 1 and "AWS CLI" in proc.stderr and not (tmp_path / "b").exists()
