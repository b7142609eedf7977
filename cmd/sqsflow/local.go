package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/sqsflow/sqsflow/emulator"
)

func init() {
	register(&command{
		Name:    "local",
		Short:   "serve the embedded SNS+SQS emulator to other processes until SIGINT/SIGTERM",
		Example: "sqsflow local -addr 127.0.0.1:4566",
		Setup:   setupLocal,
	})
}

// setupLocal defines the flags of `sqsflow local`. The command prints the
// endpoint alone on the first line of stdout (scripts read it there), then
// a line for people, and serves until ctx is cancelled.
func setupLocal(fs *flag.FlagSet) runFunc {
	addr := fs.String("addr", "127.0.0.1:4566", "`host:port` to listen on (port 0 picks a free port)")
	region := fs.String("region", "us-east-1", "`region` in ARNs")
	account := fs.String("account", "000000000000", "12-digit `account` id in ARNs and queue URLs")
	return func(ctx context.Context, _ []string, stdout io.Writer) error {
		srv, err := emulator.Start(ctx, emulator.Options{Addr: *addr, Region: *region, AccountID: *account})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, srv.Endpoint())
		fmt.Fprintf(stdout, "serving SNS, SQS and STS for region %s, account %s; stats at %s/_emulator/stats; stop with Ctrl-C\n",
			*region, *account, srv.Endpoint())
		<-ctx.Done()
		return srv.Close()
	}
}
