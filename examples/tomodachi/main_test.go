package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every message from the tomodachi services reaches its Go handler with the
// values a tomodachi handler would get, and every answer reaches the
// tomodachi side as a JsonBase envelope, byte for byte in Python's format.
func TestRunSpeaksTomodachi(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var out bytes.Buffer
	is.NoErr(run(exampletest.Context(t, time.Minute), Config{Env: exampletest.Env(t)}, &out))
	got := out.String()
	t.Log("\n" + got)

	// What the Go handlers saw: topic, message uuid (the sender's service
	// uuid, a dot and a uuid4: 73 characters), attributes and data.
	calls := regexp.MustCompile(`(?m)^(\w+)\(\n    topic="([^"]*)",\n    message_uuid="([^"]*)",\n    message_attributes=(.*),\n    data=(.*),\n\)$`).FindAllStringSubmatch(got, -1)
	is.Equal(len(calls), len(orders)+len(people))
	seen := map[string]bool{}
	for _, c := range calls {
		name, topic, muuid, attrs, data := c[1], c[2], c[3], c[4], c[5]
		is.Equal(len(muuid), 73)
		switch name {
		case "order_created":
			is.Equal(topic, "order-created")
			is.True(strings.HasPrefix(muuid, orderService.UUID+"."))
			is.Equal(attrs, `{"priority":1,"source":"web"}`) // tomodachi's attribute encoding, decoded
		case "person_created":
			is.Equal(topic, "person-created")
			is.True(strings.HasPrefix(muuid, personService.UUID+"."))
			is.Equal(attrs, `{}`)
		default:
			t.Fatalf("unexpected handler %q", name)
		}
		seen[data] = true
	}
	for _, want := range []string{
		`{"order_id":"A-1001","amount":4711,"currency":"SEK"}`,
		`{"order_id":"A-1002","amount":1299,"currency":"EUR"}`,
		`{"order_id":"A-1003","amount":250,"currency":"USD"}`,
		`{"id":"12","name":"John Doe"}`,
		`{"id":"13","name":"Jane Roe"}`,
	} {
		is.True(seen[want]) // a message the handlers did not get
	}

	// What the tomodachi side got: JsonBase envelopes from the Go service.
	payloads := regexp.MustCompile(`gets this payload, which its JsonBase envelope parses:\n    (.*)\n`).FindAllStringSubmatch(got, -1)
	is.Equal(len(payloads), len(orders))
	answered := map[string]bool{}
	for _, p := range payloads {
		payload := p[1]
		is.True(strings.HasPrefix(payload, `{"service": {"name": "billing", "uuid": "`+billing.UUID+`"}, "metadata": {"message_uuid": "`+billing.UUID+`.`))
		var env struct {
			Metadata struct {
				MessageUUID     string   `json:"message_uuid"`
				ProtocolVersion string   `json:"protocol_version"`
				Compatible      []string `json:"compatible_protocol_versions"`
				Timestamp       float64  `json:"timestamp"`
				Topic           string   `json:"topic"`
				DataEncoding    string   `json:"data_encoding"`
			} `json:"metadata"`
			Data OrderConfirmed `json:"data"`
		}
		is.NoErr(json.Unmarshal([]byte(payload), &env))
		is.Equal(len(env.Metadata.MessageUUID), 73)
		is.Equal(env.Metadata.ProtocolVersion, "tomodachi-json-base--1.0.0")
		is.Equal(env.Metadata.Compatible, []string{"json_base-wip"})
		is.True(env.Metadata.Timestamp > 1.7e9)
		is.Equal(env.Metadata.Topic, "order-confirmed")
		is.Equal(env.Metadata.DataEncoding, "raw")
		is.Equal(env.Data.Status, "confirmed")
		is.True(strings.HasSuffix(payload, `"data": {"order_id": "`+env.Data.OrderID+`", "invoice_id": "INV-`+env.Data.OrderID[2:]+`", "status": "confirmed"}}`)) // Python's separators
		answered[env.Data.OrderID] = true
	}
	is.Equal(len(answered), len(orders))
	is.True(strings.Contains(got, "summary: the Go service handled 3 JSON and 2 protobuf messages"))
}
