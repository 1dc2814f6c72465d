#!/usr/bin/env python3
"""The AWS side of scripts/aws-demo.sh, with boto3 in one process per question (the aws CLI
costs a second or more a call). The endpoint and the central credentials come from the
environment the demo sets (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...); the workspace account
is read through a role session of that account (moto hands whoever assumes a role of another
account that account's credentials). Every failure is a message on stderr and exit 1.

Usage: aws-demo-query.py COMMAND [ARGS]
  setup-events QUEUE RULE BUS      an SQS queue and a rule for odmd's product events -> queue URL
  stacks WORKSPACE                 {"<stack>": "<status>"} of the workspace (deleted left out)
  template WORKSPACE STACK         the deployed template of STACK (JSON)
  bucket-exists WORKSPACE BUCKET   exit 0 if the bucket exists in the workspace, else 1
  ssm-matches                      stdin {"<parameter>": [values...]}: exit 0 and print one line
                                   per parameter when SSM's history holds exactly those values
  ssm-path-empty PATH              exit 0 when no parameter lies under PATH
  drain QUEUE_URL FILE             append every message's body on the queue to FILE (JSON lines)
  created-ms WORKSPACE STACK        epoch ms of the stack's own CREATE_COMPLETE event
  secret-names WORKSPACE SECRET    the names (sorted, comma-separated) of the JSON object secret
                                   SECRET holds in the workspace, "-" when it does not exist
"""
import json
import os
import sys

try:
    import boto3
    from botocore.exceptions import ClientError
except ImportError:
    sys.exit("aws-demo-query: boto3 is not installed in python3 (scripts/install-deps.sh)")


def client(service, creds=None):
    kwargs = {"endpoint_url": os.environ["AWS_ENDPOINT_URL"], "region_name": os.environ["AWS_REGION"]}
    if creds is not None:
        kwargs.update(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return boto3.client(service, **kwargs)


def workspace(account, service):
    creds = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/aws-demo-inspector",
        RoleSessionName="aws-demo-inspector",
    )["Credentials"]
    return client(service, creds)


def setup_events(queue, rule, bus):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = client("events")
    events.put_rule(
        Name=rule,
        EventBusName=bus,
        EventPattern=json.dumps({"source": ["odmd"], "detail-type": ["odmd.product.version"]}),
    )
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "sqs", "Arn": arn}])
    print(url)


def stacks(account):
    cfn = workspace(account, "cloudformation")
    out = {}
    for page in cfn.get_paginator("describe_stacks").paginate():
        for s in page["Stacks"]:
            if s["StackStatus"] != "DELETE_COMPLETE":
                out[s["StackName"]] = s["StackStatus"]
    print(json.dumps(out, sort_keys=True))


def template(account, stack):
    body = workspace(account, "cloudformation").get_template(StackName=stack)["TemplateBody"]
    print(json.dumps(json.loads(body) if isinstance(body, str) else body, indent=1, sort_keys=True))


def bucket_exists(account, bucket):
    try:
        workspace(account, "s3").head_bucket(Bucket=bucket)
    except ClientError:
        sys.exit(1)


def created_ms(account, stack):
    cfn = workspace(account, "cloudformation")
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        for e in page["StackEvents"]:
            if e["LogicalResourceId"] == stack and e["ResourceStatus"] == "CREATE_COMPLETE":
                print(int(e["Timestamp"].timestamp() * 1000))
                return
    sys.exit(f"stack {stack} has no CREATE_COMPLETE event")


def secret_names(account, name):
    try:
        value = workspace(account, "secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ResourceNotFoundException":
            print("-")
            return
        raise
    print(",".join(sorted(json.loads(value))))


def ssm_history(ssm, name):
    values = []
    for page in ssm.get_paginator("get_parameter_history").paginate(Name=name):
        values += [(p["Version"], p["Value"]) for p in page["Parameters"]]
    return [v for _, v in sorted(values)]


def ssm_matches():
    want = json.load(sys.stdin)
    ssm = client("ssm")
    lines = []
    for name, values in sorted(want.items()):
        try:
            got = ssm_history(ssm, name)
        except ClientError as e:
            sys.exit(f"aws-demo-query: SSM {name}: {e}")
        if got != values:
            sys.exit(f"aws-demo-query: SSM history of {name} is {got}, the store's is {values}")
        lines.append(f"  {name:<60} {len(got)} SSM version(s)")
    print("\n".join(lines))


def ssm_path_empty(path):
    got = client("ssm").get_parameters_by_path(Path=path, Recursive=True)["Parameters"]
    if got:
        sys.exit(f"aws-demo-query: still under {path}: {[p['Name'] for p in got]}")


def drain(url, file):
    sqs = client("sqs")
    with open(file, "a") as out:
        while True:
            # Received messages stay invisible for the rest of the demo: none is read twice.
            got = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=3600
            ).get("Messages", [])
            if not got:
                return
            for m in got:
                out.write(json.dumps(json.loads(m["Body"])) + "\n")


COMMANDS = {
    "setup-events": (setup_events, 3),
    "stacks": (stacks, 1),
    "template": (template, 2),
    "bucket-exists": (bucket_exists, 2),
    "ssm-matches": (ssm_matches, 0),
    "ssm-path-empty": (ssm_path_empty, 1),
    "drain": (drain, 2),
    "secret-names": (secret_names, 2),
    "created-ms": (created_ms, 2),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS or len(sys.argv) - 2 != COMMANDS[sys.argv[1]][1]:
        sys.exit(__doc__)
    fn, _ = COMMANDS[sys.argv[1]]
    try:
        fn(*sys.argv[2:])
    except ClientError as e:
        sys.exit(f"aws-demo-query: {sys.argv[1]}: {e}")
