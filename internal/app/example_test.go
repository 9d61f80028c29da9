package app_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/scamscreen/scamscreen/internal/app"
)

func ExampleGroup() {
	g := app.New(app.Options{}) // pass the root logger in real code
	g.OnStop("nats connection", func(context.Context) error {
		fmt.Println("drain nats connection")
		return nil
	})
	g.OnStop("admin", func(context.Context) error {
		fmt.Println("stop admin endpoint")
		return nil
	})
	g.Add("screen", app.Func(func(ctx context.Context) error {
		<-ctx.Done() // a worker runs until told to stop
		return ctx.Err()
	}))
	g.Add("ingest.imap", app.Func(func(context.Context) error {
		return errors.New("login refused") // the first failure stops everything
	}))

	err := g.Run(context.Background()) // main passes its signal context
	fmt.Println(err)
	// Output:
	// stop admin endpoint
	// drain nats connection
	// ingest.imap: login refused
}
