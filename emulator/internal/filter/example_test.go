package filter_test

import (
	"errors"
	"fmt"

	"github.com/sqsflow/sqsflow/emulator/internal/filter"
)

func Example() {
	// A subscription for EUR and USD orders over 100, parsed once.
	p, err := filter.Parse(`{
		"currency": ["EUR", "USD"],
		"amount":   [{"numeric": [">", 100]}]
	}`, filter.MessageAttributes)
	if err != nil {
		panic(err)
	}

	// Matched once per published message.
	fmt.Println(p.Match(map[string]filter.Attribute{
		"currency": {Type: "String", Value: "EUR"},
		"amount":   {Type: "Number", Value: "120.50"},
	}, ""))
	fmt.Println(p.Match(map[string]filter.Attribute{
		"currency": {Type: "String", Value: "GBP"},
		"amount":   {Type: "Number", Value: "120.50"},
	}, ""))

	// Body scope: nested keys, arrays match by element.
	body, _ := filter.Parse(`{"order": {"tags": [{"prefix": "vip-"}]}}`, filter.MessageBody)
	fmt.Println(body.Match(nil, `{"order": {"id": 7, "tags": ["new", "vip-gold"]}}`))

	// An invalid policy is refused with AWS's message.
	_, err = filter.Parse(`{"amount": [{"numeric": [">", 3, "<", 1]}]}`, filter.MessageAttributes)
	var invalid *filter.Error
	fmt.Println(errors.As(err, &invalid), err)

	// Output:
	// true
	// false
	// true
	// true Invalid parameter: FilterPolicy: Bottom must be less than top
}
