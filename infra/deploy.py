"""Deploy reelrec to AWS as one CloudFormation stack, ``reelrec-<stage>``: ``make deploy STAGE=prod``.

1. Package the three functions for the stage (``infra/package.py``: ``chalice package`` of the API, the training
   job and the ETL, each with its own IAM role from its explicit policy file), printing each zip's sizes.
2. Assemble one template: ``infra/template.yaml`` (the data bucket and its policy, the history table, the alarms,
   their SNS topic and the dashboard) + the resources and outputs of the three ``sam.json`` files (code paths
   rewritten to ``<function>/deployment.zip``) + a log group with a retention for each function, Lambda's JSON log
   format, and the REST API's per-stage name the alarms watch -> ``build/deploy/<stage>/template.json``. Logical
   ids must not collide.
3. ``aws cloudformation package`` uploads the three zips to the artifacts bucket and writes ``packaged.json``;
   ``aws cloudformation deploy`` creates or updates the stack (a change set).

``--dry-run`` does steps 1 and 2 and prints the commands of step 3 without running them (no AWS account needed).

Usage: ``python infra/deploy.py --stage prod --artifacts-bucket BUCKET [--build-dir build/deploy] [--dry-run]
[--parameter AlarmEmail=oncall@example.com ...]``
Exit codes: 0 done, 1 failed, 2 bad flags, 3 the package index is unreachable.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import package as packaging  # noqa: E402  (infra/package.py, beside this script)

ROOT = packaging.ROOT
BASE_TEMPLATE = ROOT / "infra" / "template.yaml"
APPS = ("api", "training", "etl")  # infra/package.py's names
STAGES = ("dev", "prod")
LOG_RETENTION_DAYS = 30
# every request the public API answers is paid for: API Gateway stage throttling (steady requests/s, burst) and the
# API function's reserved concurrency (functions/.chalice/config.json) bound the bill; docs/deploy.md has the sums
API_THROTTLE = {"dev": (5, 10), "prod": (100, 200)}
LOGS_ACTIONS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")  # chalice's roles are unnamed; SAM is a transform
# Lambda's JSON log format: the runtime's own lines (START/END/REPORT, uncaught errors) become JSON objects too, and
# the code logs one JSON object per record (reelrec.logs); the EMF metric lines on stdout pass through as they are
LOGGING_CONFIG = {"LogFormat": "JSON"}


class AssemblyError(Exception):
    """The packaged templates cannot be combined into one stack."""


def stack_name(stage: str) -> str:
    return f"reelrec-{stage}"


def api_name(stage: str) -> str:
    """The REST API's name, ``reelrec-<stage>-api``: API Gateway's metrics are filed under it (dimension ``ApiName``),
    and chalice names both stages' APIs after the app (``reelrec-api``), which would mix dev's and prod's in one
    account. ``infra/template.yaml``'s API alarms and dashboard use this name."""
    return f"reelrec-{stage}-api"


def function_name(stage: str, logical: str) -> str:
    """A function's fixed name, ``reelrec-<stage>-<api|train|retrain|etl>``: named up front, so its role can be
    scoped to its log group (a generated name is only known after the role, which the function depends on)."""
    return f"reelrec-{stage}-{'api' if logical == 'APIHandler' else logical.lower()}"


def _scope_logs(role: dict, log_group: str) -> None:
    """Narrow the role's CloudWatch Logs statements to its own function's log group (the policy files allow the
    stage's functions; one training policy file serves two functions)."""
    arn = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{log_group}"
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("logs:") for a in actions):
                if not set(actions) <= LOGS_ACTIONS:
                    raise AssemblyError(f"a logs statement grants {sorted(set(actions) - LOGS_ACTIONS)}")
                statement["Resource"] = [{"Fn::Sub": arn}, {"Fn::Sub": f"{arn}:*"}]


def _scope_table(role: dict) -> None:
    """Pin the role's DynamoDB statements to this stack's account and region (the policy files name the stage's
    history table in any account, as Chalice's policy files cannot name the account)."""
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(a.startswith("dynamodb:") for a in actions):
                res = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                statement["Resource"] = [{"Fn::Sub": r.replace("arn:aws:dynamodb:*:*:", "arn:${AWS::Partition}:dynamodb:"
                                                               "${AWS::Region}:${AWS::AccountId}:")} for r in res]


def assemble(stage: str, sams: dict[str, dict], base: dict | None = None) -> dict:
    """One stack template: the base template plus each app's ``sam.json`` (``{app: template}``)."""
    template = copy.deepcopy(base if base is not None else yaml.safe_load(BASE_TEMPLATE.read_text()))
    template["Transform"] = "AWS::Serverless-2016-10-31"
    stage_param = template["Parameters"]["Stage"]
    if stage not in stage_param["AllowedValues"]:
        raise AssemblyError(f"unknown stage {stage!r}: the base template allows {stage_param['AllowedValues']}")
    # the functions' policies and environment name this stage's bucket: the stack cannot take another stage
    stage_param.update(AllowedValues=[stage], Default=stage)
    resources, outputs = template["Resources"], template.setdefault("Outputs", {})
    for app, sam in sams.items():
        if sam.get("Transform") != template["Transform"]:
            raise AssemblyError(f"{app}: sam.json has transform {sam.get('Transform')!r}")
        for logical, resource in sam["Resources"].items():
            if logical in resources:
                raise AssemblyError(f"{app}: logical id {logical!r} is already used by another part of the stack")
            resource = copy.deepcopy(resource)
            if resource["Type"] == "AWS::Serverless::Function":
                resource["Properties"]["CodeUri"] = f"{app}/deployment.zip"  # relative to the stack template
            resources[logical] = resource
        for name, output in sam.get("Outputs", {}).items():
            if name in outputs:
                raise AssemblyError(f"{app}: output {name!r} is already used by another part of the stack")
            outputs[name] = output
    functions = sorted(k for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function")
    for logical in functions:  # Lambda's own log groups never expire; these do (created before the function)
        name, fn = f"{logical}LogGroup", resources[logical]["Properties"]
        if name in resources:
            raise AssemblyError(f"logical id {name!r} is already used")
        fn["FunctionName"] = function_name(stage, logical)
        fn["LoggingConfig"] = dict(LOGGING_CONFIG)  # its log group stays /aws/lambda/<name>, the one made here
        log_group = f"/aws/lambda/{fn['FunctionName']}"
        resources[name] = {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": log_group, "RetentionInDays": LOG_RETENTION_DAYS}}
        resources[logical]["DependsOn"] = sorted({*_depends(resources[logical]), name})
        _scope_logs(resources[fn["Role"]["Fn::GetAtt"][0]], log_group)
        _scope_table(resources[fn["Role"]["Fn::GetAtt"][0]])
    rate, burst = API_THROTTLE[stage]
    for api in (r for r in resources.values() if r["Type"] == "AWS::Serverless::Api"):
        api["Properties"]["MethodSettings"] = [{"ResourcePath": "/*", "HttpMethod": "*",
                                                "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}]
        # the name the alarms watch; the OpenAPI title too, so the imported definition cannot name it otherwise
        api["Properties"]["Name"] = api_name(stage)
        body = api["Properties"].get("DefinitionBody")
        if isinstance(body, dict) and isinstance(body.get("info"), dict):
            body["info"]["title"] = api_name(stage)
    return template


def _depends(resource: dict) -> list[str]:
    depends = resource.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else list(depends)


def build(stage: str, out: Path) -> tuple[int, Path | None]:
    """Package the three apps into ``out/<app>/`` and write ``out/template.json``: (exit code, template path)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    sams = {}
    for app in APPS:
        print(f"deploy: packaging {app} (stage {stage})", flush=True)
        code = packaging.package(packaging.FUNCTIONS[app], out / app, stage)
        if code != 0:
            print(f"deploy: packaging {app} failed", file=sys.stderr)
            return code, None
        print(packaging.report(out / app), flush=True)
        sams[app] = json.loads((out / app / "sam.json").read_text())
    try:
        template = assemble(stage, sams)
    except AssemblyError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1, None
    path = out / "template.json"
    path.write_text(json.dumps(template, indent=1) + "\n")
    print(f"deploy: stack template {path} ({len(template['Resources'])} resources)")
    return 0, path


def stack_parameters(pairs: list[str], base: dict | None = None) -> dict[str, str]:
    """``NAME=VALUE`` flags -> {name: value}, for the base template's parameters other than ``Stage`` (which the
    build pins); ValueError names a bad one."""
    template = base if base is not None else yaml.safe_load(BASE_TEMPLATE.read_text())
    known = sorted(set(template.get("Parameters", {})) - {"Stage"})
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or name not in known:
            raise ValueError(f"--parameter {pair!r}: expected NAME=VALUE with NAME one of {', '.join(known)}")
        out[name] = value
    return out


def commands(stage: str, template: Path, artifacts_bucket: str,
             parameters: dict[str, str] | None = None) -> list[list[str]]:
    """The AWS CLI commands that upload the code and create or update the stack. ``deploy`` keeps the previous
    value of a parameter not given here (on a first create, its default)."""
    packaged = template.with_name("packaged.json")
    prefix = stack_name(stage)
    overrides = [f"Stage={stage}", *(f"{k}={v}" for k, v in sorted((parameters or {}).items()))]
    return [
        ["aws", "cloudformation", "package", "--template-file", str(template), "--s3-bucket", artifacts_bucket,
         "--s3-prefix", prefix, "--use-json", "--output-template-file", str(packaged)],
        ["aws", "cloudformation", "deploy", "--template-file", str(packaged), "--stack-name", stack_name(stage),
         "--s3-bucket", artifacts_bucket, "--s3-prefix", prefix, "--capabilities", *CAPABILITIES,
         "--parameter-overrides", *overrides, "--no-fail-on-empty-changeset"],
        ["aws", "cloudformation", "describe-stacks", "--stack-name", stack_name(stage),
         "--query", "Stacks[0].Outputs", "--output", "table"],
    ]


def main(argv: list[str] | None = None) -> int:
    """Parse flags, build, then run (or with ``--dry-run`` print) the AWS CLI commands."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=STAGES, required=True)
    parser.add_argument("--artifacts-bucket", default=os.environ.get("REELREC_ARTIFACTS_BUCKET", ""),
                        help="an existing S3 bucket for the packaged code (default $REELREC_ARTIFACTS_BUCKET)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build" / "deploy",
                        help="where the packages and the stack template go (default build/deploy/<stage>)")
    parser.add_argument("--dry-run", action="store_true", help="build and print the AWS commands; run nothing")
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="a stack parameter, e.g. AlarmEmail=oncall@example.com or EtlQuietDays=3 (repeatable; "
                             "one not given keeps its deployed value)")
    args = parser.parse_args(argv)
    try:
        parameters = stack_parameters(args.parameter)
    except ValueError as exc:
        parser.error(str(exc))
    bucket = args.artifacts_bucket or ("<artifacts-bucket>" if args.dry_run else "")
    if not bucket:
        parser.error("--artifacts-bucket (or REELREC_ARTIFACTS_BUCKET) is required: an S3 bucket you own for "
                     "the packaged code, e.g. created once with `aws s3 mb s3://<name>`")
    aws = shutil.which("aws")
    if not args.dry_run and not aws:
        print("deploy: the AWS CLI (v2) is not on PATH: https://docs.aws.amazon.com/cli/", file=sys.stderr)
        return 1
    code, template = build(args.stage, args.build_dir / args.stage)
    if code != 0:
        return code
    for cmd in commands(args.stage, template, bucket, parameters):
        print(("would run: " if args.dry_run else "+ ") + shlex.join(cmd), flush=True)
        if not args.dry_run:
            proc = subprocess.run(cmd, check=False)
            if proc.returncode != 0:
                print(f"deploy: {cmd[1]} {cmd[2]} failed (exit {proc.returncode})", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
