package emulator

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type batchBody struct {
	QueueUrl string
	Entries  []sendEntry
}

func readBatch(body []byte) (batchBody, error) {
	var in batchBody
	r := jsonReader{b: body}
	err := r.top(func(k string) {
		switch k {
		case "QueueUrl":
			in.QueueUrl = r.str()
		case "Entries":
			in.Entries = r.sendEntries()
		default:
			r.skip()
		}
	})
	return in, err
}

var sendFields = []string{"QueueUrl", "Entries", "Id", "MessageBody", "DelaySeconds", "MessageAttributes",
	"MessageSystemAttributes", "MessageDeduplicationId", "MessageGroupId", "DataType", "StringValue",
	"BinaryValue", "StringListValues", "BinaryListValues"}

// ambiguous reports whether a body has keys on which the reader and
// encoding/json differ by design: keys that match a field only
// case-insensitively, and repeated keys.
func ambiguous(body []byte) bool {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	type frame struct {
		object bool
		keys   map[string]bool
		want   bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.object && top.want
		if top != nil && top.object {
			top.want = !top.want
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, keys: map[string]bool{}, want: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].want = true
				}
			}
			if v == '{' || v == '[' {
				if top != nil && top.object {
					top.want = false
				}
			}
		case string:
			if isKey {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				for _, f := range sendFields {
					if strings.EqualFold(f, v) && f != v {
						return true
					}
				}
			}
		}
	}
}

// FuzzJSONReader checks the hand-written reader against encoding/json on
// SendMessageBatch bodies: the same result when both accept, and no body
// encoding/json finds malformed is accepted.
func FuzzJSONReader(f *testing.F) {
	for _, s := range []string{
		`{"QueueUrl":"http://x/0/q","Entries":[{"Id":"a","MessageBody":"b\u00e9\n","DelaySeconds":5}]}`,
		`{"Entries":[{"MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"},"b":{"DataType":"Binary","BinaryValue":"AAE="}}}]}`,
		`{"Entries":[null,{}],"Other":[1,{"x":[true,false,null]}]}`,
		`{"Entries":[{"DelaySeconds":01}]}`,
		`{"Entries":[{"DelaySeconds":1e2}]}`,
		`{"Entries":[{"MessageBody":"\ud83d\ude80 \xff"}]}`,
		`{"QueueUrl":null,"Entries":null}`,
		`{"Entries":[{"MessageAttributes":{"a":{"StringListValues":[],"BinaryListValues":[null,"AA=="]}}}]}`,
		`[]`, `null`, `{} x`, `{"a":}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > 4096 {
			return
		}
		var want batchBody
		wantErr := json.Unmarshal(body, &want)
		got, gotErr := readBatch(body)
		var syntax *json.SyntaxError
		if isSyntax := wantErr != nil && (errorsAs(wantErr, &syntax) || !json.Valid(body)); isSyntax && gotErr == nil {
			t.Fatalf("accepted malformed JSON %q (encoding/json: %v)", body, wantErr)
		}
		if wantErr != nil || gotErr != nil || ambiguous(body) {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", body, got, want)
		}
	})
}

func errorsAs(err error, target **json.SyntaxError) bool {
	e, ok := err.(*json.SyntaxError)
	if ok {
		*target = e
	}
	return ok
}

func TestJSONReaderDepthLimit(t *testing.T) {
	body := `{"Other":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	if _, err := readBatch([]byte(body)); err == nil {
		t.Fatal("accepted 20000 levels of nesting")
	}
}
