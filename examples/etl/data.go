package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/sqsflow/sqsflow/flow"
)

// Order is what the shop publishes.
type Order struct {
	ID          int    `json:"order_id"`
	CustomerID  string `json:"customer_id"`
	Currency    string `json:"currency"`
	AmountCents int64  `json:"amount_cents"`
	Paid        bool   `json:"paid"`
}

// Invoice is what billing publishes for a paid order.
type Invoice struct {
	OrderID  int    `json:"order_id"`
	Customer string `json:"customer"`
	Country  string `json:"country"`
	Currency string `json:"currency"`
	NetCents int64  `json:"net_cents"`
	VATCents int64  `json:"vat_cents"`
	VATRate  int    `json:"vat_rate_percent"`
}

func (inv Invoice) String() string {
	return fmt.Sprintf("invoice for order %d: %s (%s) %s %s + %d%% VAT = %s %s", inv.OrderID, inv.Customer, inv.Country,
		money(inv.NetCents), inv.Currency, inv.VATRate, money(inv.NetCents+inv.VATCents), inv.Currency)
}

type customer struct {
	Name    string
	Country string
	VATRate int // percent
}

// customers stands in for the customer database billing enriches orders from.
var customers = map[string]customer{
	"c-1": {"Müller GmbH", "DE", 19},
	"c-2": {"Dupont SARL", "FR", 20},
	"c-3": {"Acme Inc.", "US", 0},
	"c-4": {"Svensson AB", "SE", 25},
	"c-5": {"Rossi S.p.A.", "IT", 22},
}

// shopOrders returns n orders in a fixed pattern: four currencies in turn,
// every third order unpaid, five customers.
func shopOrders(n int) []Order {
	currencies := []string{"EUR", "USD", "GBP", "SEK"}
	orders := make([]Order, n)
	for i := range orders {
		orders[i] = Order{
			ID:          i + 1,
			CustomerID:  fmt.Sprintf("c-%d", i%5+1),
			Currency:    currencies[i%4],
			AmountCents: 1000 + int64(i*7919%99000),
			Paid:        i%3 != 2,
		}
	}
	return orders
}

// errUnknownCustomer is a permanent failure: retrying will not make the
// customer known, so the message goes to the poison path at once.
var errUnknownCustomer = errors.New("unknown customer")

// enrich turns a paid order into an invoice, looking its customer up.
func enrich(_ context.Context, o Order) (Invoice, error) {
	c, ok := customers[o.CustomerID]
	if !ok {
		return Invoice{}, flow.Permanent(fmt.Errorf("order %d: %w %q", o.ID, errUnknownCustomer, o.CustomerID))
	}
	return Invoice{
		OrderID: o.ID, Customer: c.Name, Country: c.Country, Currency: o.Currency,
		NetCents: o.AmountCents, VATCents: o.AmountCents * int64(c.VATRate) / 100, VATRate: c.VATRate,
	}, nil
}

// countOf returns how many orders keep accepts.
func countOf(orders []Order, keep func(Order) bool) int {
	n := 0
	for _, o := range orders {
		if keep(o) {
			n++
		}
	}
	return n
}

// money formats cents as units with two decimals.
func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
