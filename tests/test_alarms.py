"""The stack's alarms and dashboard as code (``infra/template.yaml``), read as data: one SNS topic that every alarm
notifies (ALARM and OK), an email subscription only when ``AlarmEmail`` is set, the threshold parameters within what
CloudWatch accepts, each alarm's metric, dimensions, statistic, threshold and comparison, and a dashboard whose body
is JSON after substitution. The custom metrics watched are exactly the names of ``reelrec.metrics.UNITS``; the stage
configs give the functions the ``REELREC_STAGE`` their metrics are filed under.

cfn-lint of ``infra/template.yaml`` and of the assembled stack template (with these resources in it) is in
``tests/test_infra_templates.py``, which builds the stack once per stage."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

from reelrec import metrics
from reelrec.logs import LEVELS

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "infra" / "template.yaml"
DEPLOY = ROOT / "infra" / "deploy.py"
STAGES = ("dev", "prod")
CHALICE_CONFIGS = (ROOT / "functions" / ".chalice" / "config.json",
                   ROOT / "etl_job" / "lambda_app" / ".chalice" / "config.json",
                   ROOT / "model_training" / "lambda_app" / ".chalice" / "config.json")
TOPIC = [{"Ref": "AlarmTopic"}]
STAGE_DIMENSION = [{"Name": metrics.DIMENSION, "Value": {"Ref": "Stage"}}]
SEVEN_DAYS, ONE_DAY, ONE_HOUR = 7 * 86400, 86400, 3600


def load_deploy():
    spec = importlib.util.spec_from_file_location("reelrec_infra_deploy_alarms", DEPLOY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = load_deploy()


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.safe_load(BASE.read_text())


def of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def sub(value, stage: str) -> str:
    """A dimension value for a stage: a plain string, ``Ref: Stage`` or ``Fn::Sub`` of ``${Stage}``."""
    if isinstance(value, str):
        return value
    if value == {"Ref": "Stage"}:
        return stage
    text = value["Fn::Sub"]
    assert set(re.findall(r"\$\{([^}]+)\}", text)) <= {"Stage"}, text
    return text.replace("${Stage}", stage)


def watched(alarm: dict) -> dict:
    """What an alarm evaluates, whether a plain metric alarm or a metric math alarm over one metric:
    namespace, metric, dimensions, statistic, period, and the expression (None for a plain alarm)."""
    props = alarm["Properties"]
    if "Metrics" not in props:
        stat = props.get("Statistic") or props["ExtendedStatistic"]
        assert ("Statistic" in props) != ("ExtendedStatistic" in props)
        return {"namespace": props["Namespace"], "metric": props["MetricName"], "dimensions": props["Dimensions"],
                "stat": stat, "period": props["Period"], "expression": None}
    assert not {"Namespace", "MetricName", "Dimensions", "Statistic", "Period"} & set(props)
    stats = [m for m in props["Metrics"] if "MetricStat" in m]
    exprs = [m for m in props["Metrics"] if "Expression" in m]
    assert len(stats) == 1 and len(exprs) == 1, props["Metrics"]
    (stat,), (expr,) = stats, exprs
    assert stat["ReturnData"] is False and expr["ReturnData"] is True  # the alarm judges the expression
    metric = stat["MetricStat"]["Metric"]
    return {"namespace": metric["Namespace"], "metric": metric["MetricName"], "dimensions": metric["Dimensions"],
            "stat": stat["MetricStat"]["Stat"], "period": stat["MetricStat"]["Period"],
            "expression": expr["Expression"].replace(stat["Id"], "m")}


def function_dimension(logical: str) -> list[dict]:
    return [{"Name": "FunctionName", "Value": {"Fn::Sub": deploy.function_name("${Stage}", logical)}}]


def api_dimensions() -> list[dict]:
    return [{"Name": "ApiName", "Value": {"Fn::Sub": deploy.api_name("${Stage}")}}, {"Name": "Stage", "Value": "api"}]


GT, GE, LT = "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold"
# logical id: (namespace, metric, dimensions, statistic, period, threshold, comparison, evaluation periods,
#              datapoints to alarm, missing data)
EXPECTED = {
    "ApiErrorRateAlarm": ("AWS/ApiGateway", "5XXError", api_dimensions(), "Average", 300, 0.01, GT, 3, 2,
                          "notBreaching"),
    "ApiLatencyAlarm": ("AWS/ApiGateway", "Latency", api_dimensions(), "p99", 300, 1000, GT, 3, 3, "notBreaching"),
    "ApiThrottlesAlarm": ("AWS/Lambda", "Throttles", function_dimension("APIHandler"), "Sum", 300, 0, GT, 1, None,
                          "notBreaching"),
    "EtlErrorsAlarm": ("AWS/Lambda", "Errors", function_dimension("Etl"), "Sum", 300, 0, GT, 1, None,
                       "notBreaching"),
    "EtlRunFailedAlarm": (metrics.NAMESPACE, metrics.ETL_FAILED, STAGE_DIMENSION, "Maximum", 300, 1, GE, 1, None,
                          "ignore"),
    "EtlQuarantineAlarm": (metrics.NAMESPACE, metrics.ETL_QUARANTINE_SHARE, STAGE_DIMENSION, "Maximum", 300,
                           {"Ref": "QuarantineSharePercent"}, GT, 1, None, "ignore"),
    "EtlQuietAlarm": (metrics.NAMESPACE, metrics.ETL_SUCCEEDED, STAGE_DIMENSION, "Sum", 86400, 1, LT,
                      {"Ref": "EtlQuietDays"}, {"Ref": "EtlQuietDays"}, "breaching"),
    "TrainErrorsAlarm": ("AWS/Lambda", "Errors", function_dimension("Train"), "Sum", 300, 0, GT, 1, None,
                         "notBreaching"),
    "RetrainErrorsAlarm": ("AWS/Lambda", "Errors", function_dimension("Retrain"), "Sum", 300, 0, GT, 1, None,
                           "notBreaching"),
    "TrainingRunFailedAlarm": (metrics.NAMESPACE, metrics.TRAINING_FAILED, STAGE_DIMENSION, "Maximum", 300, 1, GE, 1,
                               None, "ignore"),
    "TrainingRefusalsAlarm": (metrics.NAMESPACE, metrics.TRAINING_GATE_REFUSED, STAGE_DIMENSION, "Minimum", 86400, 1,
                              GE, {"Ref": "RefusalsInARow"}, {"Ref": "RefusalsInARow"}, "notBreaching"),
    "ModelAgeAlarm": (metrics.NAMESPACE, metrics.MODEL_AGE_HOURS, STAGE_DIMENSION, "Maximum", 86400, 48, GT, 1, None,
                      "breaching"),
}


def test_one_topic_and_an_email_subscription_only_when_an_address_is_given(template):
    (topic,) = of_type(template, "AWS::SNS::Topic")
    assert topic == "AlarmTopic"
    assert "KmsMasterKeyId" not in template["Resources"]["AlarmTopic"]["Properties"]  # CloudWatch must publish
    (name, subscription), = of_type(template, "AWS::SNS::Subscription").items()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                                          "Endpoint": {"Ref": "AlarmEmail"}}
    assert template["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    param = template["Parameters"]["AlarmEmail"]
    assert param["Type"] == "String" and param["Default"] == ""  # no subscription unless asked for
    pattern = re.compile(param["AllowedPattern"])  # CloudFormation matches the whole value
    assert pattern.fullmatch("") and pattern.fullmatch("oncall@example.com")
    assert not pattern.fullmatch("oncall") and not pattern.fullmatch("a@b.com, c@d.com")
    # nothing else is conditional: the alarms and the topic exist either way
    assert [k for k, r in template["Resources"].items() if "Condition" in r] == [name]


def test_the_threshold_parameters_and_their_defaults(template):
    params = template["Parameters"]
    assert {k: (p["Type"], p["Default"], p["MinValue"], p["MaxValue"]) for k, p in params.items()
            if k in ("EtlQuietDays", "QuarantineSharePercent", "RefusalsInARow")} == {
        "EtlQuietDays": ("Number", 2, 1, 7), "QuarantineSharePercent": ("Number", 10, 0, 100),
        "RefusalsInARow": ("Number", 3, 1, 7)}
    assert set(params) == {"Stage", "AlarmEmail", "EtlQuietDays", "QuarantineSharePercent", "RefusalsInARow"}


def test_no_alarm_evaluates_longer_than_cloudwatch_allows(template):
    """PutMetricAlarm: Period x EvaluationPeriods at most 604,800 s (7 days), and at most 86,400 s (1 day) for a
    period under an hour; checked with each parameter at its MaxValue. DatapointsToAlarm <= EvaluationPeriods."""
    params = template["Parameters"]

    def biggest(value) -> int:
        return int(params[value["Ref"]]["MaxValue"]) if isinstance(value, dict) else int(value)

    def smallest(value) -> int:
        return int(params[value["Ref"]]["MinValue"]) if isinstance(value, dict) else int(value)

    for name, alarm in of_type(template, "AWS::CloudWatch::Alarm").items():
        props, period = alarm["Properties"], watched(alarm)["period"]
        assert period % 60 == 0 and period >= 60, name
        total = period * biggest(props["EvaluationPeriods"])
        assert total <= (SEVEN_DAYS if period >= ONE_HOUR else ONE_DAY), (name, total)
        assert smallest(props["EvaluationPeriods"]) >= 1
        if "DatapointsToAlarm" in props:
            m, n = props["DatapointsToAlarm"], props["EvaluationPeriods"]
            assert m == n or biggest(m) <= smallest(n), name


def test_every_alarm_notifies_the_topic_of_alarm_and_of_recovery(template):
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    assert set(alarms) == set(EXPECTED)
    names = []
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == TOPIC and props["OKActions"] == TOPIC, name
        assert props.get("ActionsEnabled", True) is True, name
        assert props["AlarmName"]["Fn::Sub"].startswith("reelrec-${Stage}-"), name  # one set per stage
        assert 0 < len(str(props["AlarmDescription"])) <= 1024, name
        names.append(props["AlarmName"]["Fn::Sub"])
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_alarm_watches_its_metric_with_its_threshold(template, name):
    namespace, metric, dims, stat, period, threshold, comparison, evaluations, datapoints, missing = EXPECTED[name]
    alarm = template["Resources"][name]
    props, seen = alarm["Properties"], watched(alarm)
    assert (seen["namespace"], seen["metric"], seen["dimensions"], seen["stat"], seen["period"]) == (
        namespace, metric, dims, stat, period)
    assert props["Threshold"] == threshold and props["ComparisonOperator"] == comparison
    assert props["EvaluationPeriods"] == evaluations and props.get("DatapointsToAlarm") == datapoints
    assert props["TreatMissingData"] == missing
    if name == "EtlQuietAlarm":  # a day without a run is a day without a success, not a day left out
        assert seen["expression"] == "FILL(m, 0)"
    else:
        assert seen["expression"] is None
    if stat.startswith("p"):  # a few requests (one cold start) make no p99
        assert props["EvaluateLowSampleCountPercentile"] == "ignore"


def test_the_dimensions_name_what_the_stack_deploys(template):
    """The Lambda alarms' FunctionName is deploy.py's fixed name; the API alarms' ApiName is the name deploy.py gives
    the REST API, and their Stage is the API Gateway stage chalice deploys (api_gateway_stage)."""
    api_config = json.loads(CHALICE_CONFIGS[0].read_text())
    names = {deploy.function_name(s, logical) for s in STAGES for logical in ("APIHandler", "Etl", "Train", "Retrain")}
    for stage in STAGES:
        for name, alarm in of_type(template, "AWS::CloudWatch::Alarm").items():
            dims = {d["Name"]: sub(d["Value"], stage) for d in watched(alarm)["dimensions"]}
            namespace = watched(alarm)["namespace"]
            if namespace == "AWS/Lambda":
                assert set(dims) == {"FunctionName"} and dims["FunctionName"] in names, name
                assert dims["FunctionName"].startswith(f"reelrec-{stage}-")
            elif namespace == "AWS/ApiGateway":
                assert dims == {"ApiName": deploy.api_name(stage),
                                "Stage": api_config["stages"][stage]["api_gateway_stage"]}, name
            else:
                assert namespace == metrics.NAMESPACE and dims == {metrics.DIMENSION: stage}, name


def dashboard_body(template: dict, stage: str = "dev", region: str = "eu-west-1") -> dict:
    """The dashboard's body after Fn::Sub: every ${...} is the stage, the region, a parameter's default or an
    alarm's ARN; the result must be JSON."""
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert isinstance(body, str)
    alarms = of_type(template, "AWS::CloudWatch::Alarm")

    def value(match: re.Match) -> str:
        key = match.group(1)
        if key == "Stage":
            return stage
        if key == "AWS::Region":
            return region
        if key.endswith(".Arn") and key.removesuffix(".Arn") in alarms:
            return f"arn:aws:cloudwatch:{region}:123456789012:alarm:{key.removesuffix('.Arn')}"
        if key in template["Parameters"]:
            return str(template["Parameters"][key]["Default"])
        raise AssertionError(f"the dashboard substitutes an unknown ${{{key}}}")

    return json.loads(re.sub(r"\$\{([^}!][^}]*)\}", value, body))


def dashboard_metrics(body: dict) -> list[tuple[str, str, dict[str, str], str | None]]:
    """(namespace, metric, dimensions, stat) of every metric line of the dashboard (full lines only, no '.')."""
    out = []
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        props = widget["properties"]
        for line in props["metrics"]:
            options = line[-1] if isinstance(line[-1], dict) else {}
            parts = [p for p in line if not isinstance(p, dict)]
            assert "." not in parts, line  # no shorthand: each line stands alone
            namespace, metric, *dims = parts
            assert len(dims) % 2 == 0, line
            out.append((namespace, metric, dict(zip(dims[::2], dims[1::2], strict=True)),
                        options.get("stat", props.get("stat"))))
    return out


@pytest.mark.parametrize("stage", STAGES)
def test_the_dashboard_body_is_json_and_shows_the_api_the_functions_and_the_jobs(template, stage):
    dashboard = template["Resources"]["Dashboard"]["Properties"]
    assert dashboard["DashboardName"] == {"Fn::Sub": "reelrec-${Stage}"}
    body = dashboard_body(template, stage)
    widgets = body["widgets"]
    for w in widgets:
        assert {"type", "x", "y", "width", "height", "properties"} <= set(w) and w["x"] + w["width"] <= 24, w
        if w["type"] == "metric":
            assert w["properties"]["region"] == "eu-west-1" and w["properties"]["metrics"], w
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert sorted(a.rsplit(":", 1)[1] for a in alarm_widget["properties"]["alarms"]) == sorted(EXPECTED)
    lines = dashboard_metrics(body)
    api = {"ApiName": deploy.api_name(stage), "Stage": "api"}
    assert ("AWS/ApiGateway", "Count", api, "Sum") in lines
    assert ("AWS/ApiGateway", "5XXError", api, "Average") in lines
    assert ("AWS/ApiGateway", "Latency", api, "p99") in lines
    for logical in ("APIHandler", "Etl", "Train", "Retrain"):
        fn = {"FunctionName": deploy.function_name(stage, logical)}
        for metric in ("Errors", "Throttles", "Duration"):
            assert any(line[:3] == ("AWS/Lambda", metric, fn) for line in lines), (logical, metric)
    for namespace, metric, dims, _ in lines:
        if namespace == metrics.NAMESPACE:
            assert dims == {metrics.DIMENSION: stage}, metric
        elif namespace == "AWS/Lambda":
            assert dims["FunctionName"].startswith(f"reelrec-{stage}-")
        else:
            assert namespace == "AWS/ApiGateway" and dims == api


def test_the_custom_metrics_watched_are_exactly_the_ones_the_jobs_emit(template):
    """Every custom metric an alarm or a dashboard widget watches is a name of reelrec.metrics.UNITS, and every name
    there is watched by at least one of them (a metric nothing watches is a metric nobody sees)."""
    by_alarms = {watched(a)["metric"] for a in of_type(template, "AWS::CloudWatch::Alarm").values()
                 if watched(a)["namespace"] == metrics.NAMESPACE}
    by_dashboard = {metric for namespace, metric, _, _ in dashboard_metrics(dashboard_body(template))
                    if namespace == metrics.NAMESPACE}
    assert by_alarms <= set(metrics.UNITS), by_alarms - set(metrics.UNITS)
    assert by_dashboard <= set(metrics.UNITS), by_dashboard - set(metrics.UNITS)
    assert set(metrics.UNITS) <= by_alarms | by_dashboard, set(metrics.UNITS) - by_alarms - by_dashboard
    assert metrics.NAMESPACE == "reelrec"  # the namespace the template spells out


@pytest.mark.parametrize("config", CHALICE_CONFIGS, ids=lambda p: p.parent.parent.name)
def test_every_stage_names_itself_and_a_log_level(config):
    """The functions' metrics are filed under REELREC_STAGE (the Stage dimension the alarms watch); LOG_LEVEL is
    one reelrec.logs knows."""
    stages = json.loads(config.read_text())["stages"]
    for stage in STAGES:
        env = stages[stage]["environment_variables"]
        assert env["REELREC_STAGE"] == stage and metrics.stage(env) == stage
        assert env["LOG_LEVEL"] == "INFO" and env["LOG_LEVEL"] in LEVELS
