#!/usr/bin/env bash
# Drives an SNS+SQS endpoint (normally `sqsflow local`) with clients that
# are not Go: the AWS CLI and boto3. Usage: cli_smoke.sh ENDPOINT
# Exits non-zero, naming the check, on the first thing that is not as AWS
# would answer. emulator/cli_test.go builds sqsflow, starts it and runs this.
set -euo pipefail
ep="${1:?usage: cli_smoke.sh ENDPOINT}"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
unset AWS_PROFILE AWS_ENDPOINT_URL
run="cli$$"
fail() { echo "FAIL: $*" >&2; exit 1; }
cli() { aws --endpoint-url "$ep" "$@"; }

# --- AWS CLI: SQS ---------------------------------------------------------
url=$(cli sqs create-queue --queue-name "$run-orders" --attributes VisibilityTimeout=5 --query QueueUrl --output text)
[ -n "$url" ] || fail "create-queue returned no URL"
cli sqs send-message --queue-url "$url" --message-body 'hello from the cli' \
    --message-attributes '{"k":{"DataType":"String","StringValue":"v"}}' >/dev/null
out=$(cli sqs receive-message --queue-url "$url" --wait-time-seconds 5 --message-attribute-names All --output json)
body=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Messages"][0]["Body"])' <<<"$out")
[ "$body" = "hello from the cli" ] || fail "cli receive: got body '$body'"
k=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Messages"][0]["MessageAttributes"]["k"]["StringValue"])' <<<"$out")
[ "$k" = "v" ] || fail "cli receive: attribute k is '$k'"
rh=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Messages"][0]["ReceiptHandle"])' <<<"$out")
cli sqs delete-message --queue-url "$url" --receipt-handle "$rh"
n=$(cli sqs get-queue-attributes --queue-url "$url" --attribute-names All --query 'Attributes.ApproximateNumberOfMessagesNotVisible' --output text)
[ "$n" = "0" ] || fail "after delete: $n messages in flight"

if cli sqs get-queue-url --queue-name "$run-missing" 2>err.txt >/dev/null; then
    fail "get-queue-url of a missing queue succeeded"
fi
grep -q -E 'NonExistentQueue|QueueDoesNotExist' err.txt || fail "missing queue: unexpected error: $(cat err.txt)"
rm -f err.txt

# --- AWS CLI: SNS and STS ---------------------------------------------------
topic=$(cli sns create-topic --name "$run-events" --query TopicArn --output text)
qarn=$(cli sqs get-queue-attributes --queue-url "$url" --attribute-names QueueArn --query Attributes.QueueArn --output text)
cli sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$qarn" \
    --attributes '{"FilterPolicy":"{\"kind\":[\"wanted\"]}"}' >/dev/null
cli sns publish --topic-arn "$topic" --message 'skip me' \
    --message-attributes '{"kind":{"DataType":"String","StringValue":"other"}}' >/dev/null
cli sns publish --topic-arn "$topic" --message 'deliver me' --subject 'cli' \
    --message-attributes '{"kind":{"DataType":"String","StringValue":"wanted"}}' >/dev/null
out=$(cli sqs receive-message --queue-url "$url" --wait-time-seconds 5 --max-number-of-messages 10 --output json)
msgs=$(python3 -c '
import json,sys
msgs = json.load(sys.stdin).get("Messages", [])
print(" / ".join(json.loads(m["Body"])["Message"] for m in msgs))' <<<"$out")
[ "$msgs" = "deliver me" ] || fail "sns fan-out with filter: got '$msgs'"
acct=$(cli sts get-caller-identity --query Account --output text)
[ ${#acct} -eq 12 ] || fail "sts get-caller-identity: account '$acct'"

# --- boto3 ------------------------------------------------------------------
python3 - "$ep" "$run" <<'PY'
import json, sys
import boto3

ep, run = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
sqs, sns = boto3.client("sqs", **kw), boto3.client("sns", **kw)

def check(cond, what):
    if not cond:
        sys.exit("FAIL: boto3: " + what)

url = sqs.create_queue(QueueName=run + "-boto.fifo",
                       Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
sent = sqs.send_message_batch(QueueUrl=url, Entries=[
    {"Id": str(i), "MessageBody": "m%d" % i, "MessageGroupId": "g",
     "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i)}}} for i in range(3)])
check(len(sent["Successful"]) == 3, "send_message_batch: %r" % sent)
got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2,
                          MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])["Messages"]
check([m["Body"] for m in got] == ["m0", "m1", "m2"], "FIFO order: %r" % [m["Body"] for m in got])
check(all(m["Attributes"]["MessageGroupId"] == "g" for m in got), "MessageGroupId")
check(got[2]["MessageAttributes"]["n"]["StringValue"] == "2", "message attributes")
res = sqs.delete_message_batch(QueueUrl=url, Entries=[
    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
check(len(res["Successful"]) == 3, "delete_message_batch: %r" % res)

try:
    sqs.get_queue_url(QueueName=run + "-nope")
    check(False, "get_queue_url of a missing queue succeeded")
except sqs.exceptions.QueueDoesNotExist:
    pass
try:
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "a", "MessageGroupId": "g"}] * 2)
    check(False, "duplicate batch ids accepted")
except sqs.exceptions.BatchEntryIdsNotDistinct:
    pass

topic = sns.create_topic(Name=run + "-raw")["TopicArn"]
plain = sqs.create_queue(QueueName=run + "-raw")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=plain, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
sns.publish(TopicArn=topic, Message="raw body", MessageAttributes={"a": {"DataType": "String", "StringValue": "b"}})
msgs = sqs.receive_message(QueueUrl=plain, WaitTimeSeconds=2, MessageAttributeNames=["All"])["Messages"]
check(msgs[0]["Body"] == "raw body", "raw delivery body: %r" % msgs[0]["Body"])
check(msgs[0]["MessageAttributes"]["a"]["StringValue"] == "b", "raw delivery attributes")
try:
    sns.publish(TopicArn=topic + "-nope", Message="x")
    check(False, "publish to a missing topic succeeded")
except sns.exceptions.NotFoundException:
    pass
PY

echo "cli_smoke: OK"
