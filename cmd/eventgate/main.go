// Command eventgate is the single binary: the gateway and its tools.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

const usage = `eventgate: a self-hosted event notification gateway.

Usage:
  eventgate serve [flags]    run the gateway (eventgate serve -h lists the flags)
  eventgate listen [flags]   run a local webhook receiver that verifies and prints deliveries
  eventgate migrate [flags]  apply the store's schema migrations (serve does too) and exit
  eventgate bench [flags]    measure the gateway end to end (eventgate bench -h lists the scenarios)
  eventgate filter test      try a content filter pattern on an event (exit 0: match, 1: no match)
  eventgate publish [flags]  publish one event (flags or stdin) or a JSONL file of them to a running gateway
  eventgate subscriptions list, eventgate deliveries list [flags]
                             list a running gateway's subscriptions or deliveries, as a table or --json
  eventgate version          print the version

Every flag can also be set in the environment as EVENTGATE_<FLAG>,
e.g. --allow-private-targets as EVENTGATE_ALLOW_PRIVATE_TARGETS=true.
`

var version = "dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(args)
	case "listen":
		err = listen(args)
	case "migrate":
		err = migrate(args)
	case "bench", "bench-receiver":
		err = benchCommand(cmd, args)
	case "filter":
		err = filterCmd(args)
	case "publish":
		err = publishCmd(args)
	case "subscriptions":
		err = subscriptionsCmd(args)
	case "deliveries":
		err = deliveriesCmd(args)
	case "version":
		fmt.Println("eventgate", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "eventgate: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, errNoMatch) {
		os.Exit(1)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // the flags were listed, as asked
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "eventgate:", err)
		os.Exit(2)
	}
}

// parseFlags parses args, then fills every flag not given on the command
// line from its EVENTGATE_<FLAG> environment variable.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok && !set[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

func envName(flagName string) string {
	return "EVENTGATE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
